package dev.kiln.cli;

import dev.kiln.engine.BuildException;
import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.DebugShell;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineOptions;
import dev.kiln.engine.Entitlement;
import dev.kiln.engine.Frontends;
import dev.kiln.engine.FrontendSpec;
import dev.kiln.engine.Warning;
import dev.kiln.engine.export.ExportDefaults;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.dockerfile.instructions.GoDuration;
import dev.kiln.dockerfile.instructions.InstructionException;
import dev.kiln.llb.pb.Definition;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.AtomicWrite;
import org.apache.commons.cli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code kiln build}: buildctl's form ({@code --frontend NAME --local name=DIR --opt k=v}, or an
 * LLB definition on stdin) and docker build's ({@code kiln build -f Dockerfile CONTEXT}).
 */
final class BuildCommand {

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;

    BuildCommand(PrintStream out, PrintStream err, InputStream in) {
        this.out = out;
        this.err = err;
        this.in = in;
    }

    /**
     * A checked command line.
     *
     * @param noCache       {@code --no-cache}: also marks every step of an LLB definition to run again
     * @param annotations   {@code --annotation}s as image output attributes ({@code annotation.KEY} ...)
     * @param iidFile       where {@code --iidfile} writes the image ID
     * @param quiet         {@code -q}: no progress, the image ID on stdout
     * @param entitlements  what {@code --allow} (and {@code --network host}) grant the build's steps
     * @param stateTimeout  how long to wait for another kiln on the state; null for the engine's default
     */
    record Invocation(
            String frontend,
            List<Path> frontendClasspath,
            Map<String, Path> locals,
            Map<String, String> opts,
            List<OutputSpec> outputs,
            String progress,
            Path stateDir,
            String runtime,
            Path context,
            Path dockerfile,
            String definition,
            Path metadataFile,
            List<String> secrets,
            List<String> ssh,
            boolean shellOnError,
            List<String> tags,
            boolean push,
            List<String> insecureRegistries,
            boolean noCache,
            Map<String, String> annotations,
            Path iidFile,
            boolean quiet,
            Set<Entitlement> entitlements,
            Duration stateTimeout) {
    }

    /** The help text of {@code kiln build}, grouped as docker build's. */
    static String usage() {
        return BuildFlags.help();
    }

    static Invocation parse(List<String> args) throws UsageException, HelpRequested {
        CommandLine line = BuildFlags.parse(args);
        if (line.hasOption("help")) {
            throw new HelpRequested(usage());
        }
        List<String> positional = line.getArgList();
        if (positional.size() > 1) {
            throw new UsageException("build takes one context directory, got " + positional.get(0) + " and "
                    + positional.get(1));
        }
        Map<String, Path> locals = new LinkedHashMap<>();
        Map<String, String> opts = new LinkedHashMap<>();
        for (String value : BuildFlags.values(line, "local")) {
            String[] kv = keyValue("--local", value);
            locals.put(kv[0], Path.of(kv[1]));
        }
        for (String value : BuildFlags.values(line, "opt")) {
            String[] kv = keyValue("--opt", value);
            opts.put(kv[0], kv[1]);
        }
        for (String value : BuildFlags.values(line, "oci-layout")) {
            String[] kv = keyValue("--oci-layout", value);
            locals.put(kv[0], Path.of(kv[1]));
        }
        for (String value : BuildFlags.values(line, "build-context")) {
            buildContext(keyValue("--build-context", value), locals, opts);
        }
        for (String value : BuildFlags.values(line, "build-arg")) {
            String[] kv = keyValue("--build-arg", value);
            opts.put("build-arg:" + kv[0], kv[1]);
        }
        for (String value : BuildFlags.values(line, "label")) {
            String[] kv = keyValue("--label", value);
            opts.put("label:" + kv[0], kv[1]);
        }
        if (line.hasOption("target")) {
            opts.put("target", line.getOptionValue("target"));
        }
        if (line.hasOption("platform")) {
            String platform = line.getOptionValue("platform");
            if (platform.contains(",") || BuildFlags.values(line, "platform").size() > 1) {
                throw new UsageException("--platform: one platform per build for now, got "
                        + String.join(",", BuildFlags.values(line, "platform")));
            }
            opts.put("platform", platform);
        }
        // as buildx: --no-cache-filter names the stages to run again, --no-cache all of them
        List<String> noCacheFilter = BuildFlags.split(line, "no-cache-filter", ",");
        if (!noCacheFilter.isEmpty()) {
            opts.put("no-cache", String.join(",", noCacheFilter));
        }
        boolean noCache = line.hasOption("no-cache");
        if (noCache) {
            opts.put("no-cache", "");
        }
        if (line.hasOption("pull")) {
            opts.put("image-resolve-mode", "pull");
        }
        Set<Entitlement> entitlements = EnumSet.noneOf(Entitlement.class);
        for (String name : BuildFlags.split(line, "allow", ",")) {
            entitlements.add(Entitlement.parse(name).orElseThrow(() -> new UsageException(
                    "--allow: unknown entitlement " + name + " (known: " + Entitlement.names() + ")")));
        }
        String network = line.getOptionValue("network", "default");
        switch (network) {
            case "default" -> { }
            case "none" -> opts.put("force-network-mode", "none");
            case "host" -> {
                // as buildx: asking for the host's network on the command line is the grant
                opts.put("force-network-mode", "host");
                entitlements.add(Entitlement.NETWORK_HOST);
            }
            default -> throw new UsageException("--network: expected default, none or host, got " + network);
        }
        List<String> hosts = new ArrayList<>();
        for (String value : BuildFlags.values(line, "add-host")) {
            hosts.add(extraHost(value));
        }
        if (!hosts.isEmpty()) {
            opts.put("add-hosts", String.join(",", hosts));
        }
        if (line.hasOption("shm-size")) {
            opts.put("shm-size", Long.toString(ByteSize.parse("--shm-size", line.getOptionValue("shm-size"))));
        }
        List<String> ulimits = BuildFlags.values(line, "ulimit");
        for (String value : ulimits) {
            keyValue("--ulimit", value);
        }
        if (!ulimits.isEmpty()) {
            opts.put("ulimit", String.join(",", ulimits));
        }
        boolean quiet = line.hasOption("quiet");
        String progress = line.getOptionValue("progress", "auto");
        if (!List.of("auto", "tty", "plain", "rawjson", "quiet").contains(progress)) {
            throw new UsageException("--progress: expected auto, tty, plain, rawjson or quiet, got " + progress);
        }
        String onError = line.getOptionValue("on-error", "fail");
        if (!onError.equals("fail") && !onError.equals("shell")) {
            throw new UsageException("--on-error: expected fail or shell, got " + onError);
        }
        List<OutputSpec> outputs = new ArrayList<>();
        for (String value : BuildFlags.values(line, "output")) {
            outputs.add(OutputSpec.parse(value));
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        for (String value : BuildFlags.values(line, "annotation")) {
            String[] kv = keyValue("--annotation", value);
            annotations.put(annotationAttribute(kv[0]), kv[1]);
        }
        Duration stateTimeout = line.hasOption("state-timeout")
                ? duration("--state-timeout", line.getOptionValue("state-timeout")) : null;
        return new Invocation(line.getOptionValue("frontend"),
                BuildFlags.split(line, "frontend-classpath", ":").stream().map(Path::of).toList(), locals, opts,
                outputs, quiet ? "quiet" : progress, optionalPath(line, "state"), line.getOptionValue("runtime", "auto"),
                positional.isEmpty() ? null : Path.of(positional.getFirst()), optionalPath(line, "file"),
                line.getOptionValue("definition"), optionalPath(line, "metadata-file"),
                BuildFlags.values(line, "secret"), BuildFlags.values(line, "ssh"), onError.equals("shell"),
                BuildFlags.values(line, "tag"), line.hasOption("push"), BuildFlags.values(line, "insecure-registry"),
                noCache, annotations, optionalPath(line, "iidfile"), quiet, entitlements, stateTimeout);
    }

    private static Path optionalPath(CommandLine line, String name) {
        return line.hasOption(name) ? Path.of(line.getOptionValue(name)) : null;
    }

    /** docker buildx's named contexts: a directory, or a source such as docker-image://REF or oci-layout://. */
    private static void buildContext(String[] kv, Map<String, Path> locals, Map<String, String> opts) {
        if (kv[1].startsWith("oci-layout:///")) {
            // buildx's form names the layout's directory; the build gets it as a store
            String rest = kv[1].substring("oci-layout://".length());
            int at = rest.lastIndexOf('@');
            String dir = at < 0 ? rest : rest.substring(0, at);
            String store = "oci-" + dev.kiln.core.Digest.sha256(dir.getBytes(StandardCharsets.UTF_8)).hex()
                    .substring(0, 12);
            locals.put(store, Path.of(dir));
            opts.put("context:" + kv[0], "oci-layout://" + store + (at < 0 ? "" : rest.substring(at)));
        } else if (kv[1].contains("://")) {
            opts.put("context:" + kv[0], kv[1]);
        } else {
            locals.put(kv[0], Path.of(kv[1]));
            opts.put("context:" + kv[0], "local:" + kv[0]);
        }
    }

    /** docker's "HOST:IP" (an IPv6 address keeps its colons) or "HOST=IP", as the frontend's "HOST=IP". */
    private static String extraHost(String value) throws UsageException {
        int split = value.indexOf('=');
        if (split < 0) {
            split = value.indexOf(':');
        }
        if (split <= 0 || split == value.length() - 1) {
            throw new UsageException("--add-host: expected HOST:IP, got '" + value + "'");
        }
        return value.substring(0, split) + "=" + value.substring(split + 1);
    }

    /** buildx's annotation forms: KEY (the manifest's) or manifest:KEY; index and descriptor forms are refused. */
    private static String annotationAttribute(String key) throws UsageException {
        int colon = key.indexOf(':');
        if (colon < 0) {
            return "annotation." + key;
        }
        String type = key.substring(0, colon);
        if (!type.equals("manifest")) {
            throw new UsageException("--annotation " + key + ": only manifest annotations are supported (KEY=VALUE "
                    + "or manifest:KEY=VALUE), not " + type);
        }
        return "annotation-manifest." + key.substring(colon + 1);
    }

    /** Go's duration form ("90s", "1m30s") or plain seconds ("90"). */
    private static Duration duration(String flag, String text) throws UsageException {
        try {
            if (text.chars().allMatch(Character::isDigit) && !text.isEmpty()) {
                return Duration.ofSeconds(Long.parseLong(text));
            }
            long nanos = GoDuration.parse(text);
            if (nanos < 0) {
                throw new UsageException(flag + ": a negative duration " + text);
            }
            return Duration.ofNanos(nanos);
        } catch (InstructionException | NumberFormatException e) {
            throw new UsageException(flag + ": expected a duration such as 90s, 5m or 1h, got '" + text + "'");
        }
    }

    private static String[] keyValue(String flag, String value) throws UsageException {
        int eq = value.indexOf('=');
        if (eq <= 0) {
            throw new UsageException(flag + ": expected KEY=VALUE, got '" + value + "'");
        }
        return new String[] {value.substring(0, eq), value.substring(eq + 1)};
    }

    int run(List<String> args) throws Exception {
        Invocation invocation = parse(args);
        BuildRequest request = request(invocation);
        EngineOptions options = engineOptions(invocation);
        ClassLoader loader = loader(invocation.frontendClasspath());
        BuildSummary summary = new BuildSummary();
        ProgressListener display = display(invocation.progress());
        try (Engine engine = Engine.open(options, Frontends.discover(loader), this::notice)) {
            BuildOutcome outcome;
            try {
                outcome = engine.build(request.withDebugOnFailure(invocation.shellOnError()), event -> {
                    summary.onEvent(event);
                    display.onEvent(event);
                });
            } catch (BuildException e) {
                if (display instanceof TtyProgress tty) {
                    tty.close();
                }
                if (e.debugShell().isPresent()) {
                    try (DebugShell shell = e.debugShell().get()) {
                        new ShellSession(in, out, err).run(shell, shell.step() + " failed; opening a shell in its "
                                + "container (its files as the step left them). Exit the shell to end the build.");
                    }
                }
                throw e;
            } finally {
                if (display instanceof TtyProgress tty) {
                    tty.close();
                }
            }
            printWarnings(outcome.warnings());
            if (!invocation.progress().equals("quiet") && !invocation.progress().equals("rawjson")) {
                err.println("build finished in " + PlainProgress.seconds(outcome.elapsed()) + ": " + summary.ran()
                        + " steps run, " + summary.cached() + " cached" + exportsText(request));
            }
            if (invocation.metadataFile() != null) {
                BuildMetadata.write(invocation.metadataFile(), outcome);
            }
            String imageId = outcome.result().metadata("containerimage.config.digest")
                    .map(bytes -> new String(bytes, StandardCharsets.UTF_8)).orElse("");
            if (invocation.iidFile() != null) {
                if (imageId.isEmpty()) {
                    notice("--iidfile: the build made no image (add -t NAME or an image --output), so "
                            + invocation.iidFile() + " is left empty");
                }
                Path target = invocation.iidFile().toAbsolutePath();
                Files.createDirectories(target.getParent());
                AtomicWrite.write(target, imageId.getBytes(StandardCharsets.UTF_8));
            }
            if (invocation.quiet() && !writesToStdout(request)) {
                out.println(imageId);
            }
        }
        return 0;
    }

    private void notice(String text) {
        err.println("kiln: " + text);
    }

    /** An export that streams to stdout owns it: -q's image ID must not end up inside the archive. */
    private static boolean writesToStdout(BuildRequest request) {
        return request.exports().stream().anyMatch(target -> target.exporter().streams());
    }

    private static EngineOptions engineOptions(Invocation invocation) {
        EngineOptions options = EngineOptions.defaults().withRuntime(invocation.runtime())
                .withInsecureRegistries(java.util.Set.copyOf(invocation.insecureRegistries()));
        if (invocation.stateTimeout() != null) {
            options = options.withStateTimeout(invocation.stateTimeout());
        }
        return invocation.stateDir() == null ? options : options.withStateDir(invocation.stateDir());
    }

    /** {@code kiln debug STEP [build options]}: builds, then opens a shell in the named step's result. */
    int debug(String selector, List<String> args) throws Exception {
        Invocation invocation = parse(args);
        BuildRequest request = request(invocation);
        EngineOptions options = engineOptions(invocation);
        ProgressListener display = display(invocation.progress());
        try (Engine engine = Engine.open(options, Frontends.discover(loader(invocation.frontendClasspath())),
                this::notice)) {
            DebugShell shell;
            try {
                shell = engine.debug(request, selector, display);
            } finally {
                if (display instanceof TtyProgress tty) {
                    tty.close();
                }
            }
            try (shell) {
                new ShellSession(in, out, err).run(shell, "opening a shell in the result of " + shell.step()
                        + ". Exit the shell to end.");
            }
        }
        return 0;
    }

    private ProgressListener display(String mode) {
        String chosen = mode.equals("auto") ? (isTerminal() ? "tty" : "plain") : mode;
        return switch (chosen) {
            case "tty" -> new TtyProgress(err, terminalWidth());
            case "rawjson" -> new RawJsonProgress(err);
            case "quiet" -> ProgressListener.none();
            default -> new PlainProgress(err);
        };
    }

    private static boolean isTerminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal() && !"dumb".equals(System.getenv("TERM"));
    }

    private static int terminalWidth() {
        try {
            return Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "100"));
        } catch (NumberFormatException e) {
            return 100;
        }
    }

    private static String exportsText(BuildRequest request) {
        if (request.exports().isEmpty()) {
            return "; no output asked for, so the result stays in the cache (add --output or -t to export it)";
        }
        return "; exported to " + request.exports().stream().map(target -> target.exporter().describe())
                .collect(java.util.stream.Collectors.joining(", "));
    }

    private BuildRequest request(Invocation invocation) throws UsageException, IOException {
        Map<String, Path> locals = new LinkedHashMap<>(invocation.locals());
        Map<String, String> opts = new LinkedHashMap<>(invocation.opts());
        FrontendSpec frontend;
        if (invocation.frontend() != null) {
            frontend = new FrontendSpec.Named(invocation.frontend());
        } else if (invocation.context() != null) {
            // docker build's form: the Dockerfile frontend with the context and the Dockerfile's directory
            Path dockerfile = invocation.dockerfile() != null ? invocation.dockerfile()
                    : invocation.context().resolve("Dockerfile");
            locals.putIfAbsent("context", invocation.context());
            locals.putIfAbsent("dockerfile", dockerfile.toAbsolutePath().getParent());
            opts.putIfAbsent("filename", dockerfile.getFileName().toString());
            frontend = new FrontendSpec.Named("dockerfile.v0");
        } else {
            String source = invocation.definition() == null || invocation.definition().equals("-")
                    ? "stdin" : invocation.definition();
            byte[] bytes = source.equals("stdin") ? in.readAllBytes() : readDefinitionFile(Path.of(source));
            if (bytes.length == 0) {
                throw new UsageException("no frontend, no context and nothing on stdin: give --frontend, a CONTEXT, "
                        + "or pipe an LLB definition in");
            }
            try {
                Definition parsed = Definition.parseFrom(bytes);
                frontend = new FrontendSpec.Llb(invocation.noCache() ? ignoringCache(parsed) : parsed);
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new UsageException(source + " is not a marshalled LLB definition: " + e.getMessage());
            }
        }
        for (Map.Entry<String, Path> local : locals.entrySet()) {
            if (!Files.isDirectory(local.getValue())) {
                throw new UsageException("--local " + local.getKey() + "=" + local.getValue() + ": not a directory");
            }
            local.setValue(local.getValue().toAbsolutePath().normalize());
        }
        List<ExportTarget> exports = exportTargets(invocation, opts);
        return new BuildRequest(frontend, opts, locals, exports, Secrets.parse(invocation.secrets(), System.getenv()),
                Secrets.parseSsh(invocation.ssh(), System.getenv())).withEntitlements(invocation.entitlements());
    }

    /**
     * The definition with every op marked to run again ({@code --no-cache} on a definition, where no frontend
     * is there to mark them). Metadata is not part of an op's digest, so the steps keep their identity.
     */
    private static Definition ignoringCache(Definition definition) {
        Definition.Builder marked = definition.toBuilder();
        for (com.google.protobuf.ByteString op : definition.getDefList()) {
            String digest = dev.kiln.core.Digest.sha256(op.toByteArray()).toString();
            dev.kiln.llb.pb.OpMetadata metadata = definition.getMetadataOrDefault(digest,
                    dev.kiln.llb.pb.OpMetadata.getDefaultInstance());
            marked.putMetadata(digest, metadata.toBuilder().setIgnoreCache(true).build());
        }
        return marked.build();
    }

    private static byte[] readDefinitionFile(Path file) throws UsageException, IOException {
        if (!Files.isRegularFile(file)) {
            throw new UsageException("--definition " + file + ": no such file");
        }
        return Files.readAllBytes(file);
    }

    /**
     * The export targets of {@code --output}, {@code -t} and {@code --push}: as in docker build, {@code -t} alone keeps
     * the image locally under its names, {@code --push} pushes it, and image outputs without {@code name=} take the
     * {@code -t} names. SOURCE_DATE_EPOCH comes from the build argument of that name, else the environment.
     */
    private List<ExportTarget> exportTargets(Invocation invocation, Map<String, String> opts) throws UsageException {
        List<OutputSpec> outputs = new ArrayList<>(invocation.outputs());
        if (outputs.isEmpty() && (!invocation.tags().isEmpty() || invocation.push())) {
            if (invocation.tags().isEmpty()) {
                throw new UsageException("--push needs an image name: add -t NAME (or --output type=image,name=NAME,"
                        + "push=true)");
            }
            outputs.add(new OutputSpec("image", Map.of()));
        }
        Optional<String> epoch = Optional.ofNullable(opts.get("build-arg:SOURCE_DATE_EPOCH"))
                .or(() -> Optional.ofNullable(System.getenv("SOURCE_DATE_EPOCH")));
        ExportDefaults defaults = new ExportDefaults(out, invocation.tags(), invocation.push(), epoch,
                invocation.annotations());
        List<ExportTarget> exports = new ArrayList<>();
        for (OutputSpec output : outputs) {
            exports.add(output.target(defaults));
        }
        return exports;
    }

    private static ClassLoader loader(List<Path> classpath) throws IOException {
        ClassLoader parent = BuildCommand.class.getClassLoader();
        if (classpath.isEmpty()) {
            return parent;
        }
        List<URL> urls = new ArrayList<>();
        for (Path entry : classpath) {
            if (!Files.exists(entry)) {
                throw new IOException("--frontend-classpath: " + entry + " does not exist");
            }
            urls.add(entry.toUri().toURL());
        }
        return new URLClassLoader(urls.toArray(URL[]::new), parent);
    }

    private void printWarnings(List<Warning> warnings) {
        if (warnings.isEmpty()) {
            return;
        }
        err.println();
        err.println(warnings.size() == 1 ? "1 warning found:" : warnings.size() + " warnings found:");
        for (Warning warning : warnings) {
            err.println(" - " + warning.message());
        }
    }
}
