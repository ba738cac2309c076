package dev.kiln.cli;

import dev.kiln.engine.BuildException;
import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.DebugShell;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineOptions;
import dev.kiln.engine.Frontends;
import dev.kiln.engine.FrontendSpec;
import dev.kiln.engine.Warning;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.llb.pb.Definition;
import dev.kiln.solver.ProgressListener;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code kiln build}: buildctl's form ({@code --frontend NAME --local name=DIR --opt k=v}, or an
 * LLB definition on stdin) and docker build's ({@code kiln build -f Dockerfile CONTEXT}).
 */
final class BuildCommand {

    static final String USAGE = """
            usage: kiln build [options] [CONTEXT]
              --frontend NAME            frontend to run: dockerfile.v0, or java:CLASS for a BuildFunction class
              --frontend-classpath PATH  jars or directories (':'-separated) to load java: frontends from
              --definition FILE          a marshalled LLB definition to build (- or none: read stdin)
              --local NAME=DIR           a local directory the build reads as local://NAME (repeatable)
              --opt KEY=VALUE            a frontend option (repeatable)
              -f, --file PATH            the Dockerfile (docker build's form)
              --build-arg KEY=VALUE      a build argument (docker build's form)
              --build-context NAME=DIR|docker-image://REF|oci-layout:///DIR@DIGEST  a named context for FROM and COPY --from
              --insecure-registry HOST   pull from and push to HOST over plain HTTP (loopback always is)
              --oci-layout NAME=DIR      an OCI image layout the build may read as oci-layout://NAME@DIGEST
              --target STAGE             the stage to build (docker build's form)
              -o, --output SPEC          where the result goes (repeatable):
                                           type=local,dest=DIR | type=tar,dest=FILE|-
                                           type=image,name=REF[,push=true] | type=registry,name=REF
                                           type=oci,dest=FILE|-[,name=REF] | type=docker,dest=FILE|-[,name=REF]
                                         image attributes: compression=gzip|zstd|uncompressed, compression-level=N,
                                         force-compression=BOOL, oci-mediatypes=BOOL, source-date-epoch=SECONDS,
                                         registry.insecure=BOOL, annotation.KEY=VALUE
              -t, --tag NAME             name the image (repeatable); without --output, the image is kept locally
              --push                     push the image to its names' registries (docker build's form)
              --on-error MODE            fail (default), or shell: open a shell in a failed RUN step's container
              --progress MODE            auto (default: tty on a terminal, else plain), tty, plain, rawjson or quiet
              --metadata-file FILE       write the build's result facts (digests, timing) as JSON
              --secret id=ID,src=FILE|env=VAR  a secret for RUN --mount=type=secret (repeatable)
              --ssh ID[=SOCKET]          an SSH agent for RUN --mount=type=ssh (default: $SSH_AUTH_SOCK)
              --state DIR                engine state directory (default: $KILN_STATE, /var/lib/kiln for root)
              --runtime NAME             auto, runc, crun, or a path to an OCI runtime
            With neither --frontend nor CONTEXT, an LLB definition is read from stdin.""";

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;

    BuildCommand(PrintStream out, PrintStream err, InputStream in) {
        this.out = out;
        this.err = err;
        this.in = in;
    }

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
            List<String> insecureRegistries) {
    }

    private static final java.util.Set<String> VALUE_FLAGS = java.util.Set.of("--frontend", "--frontend-classpath", "--definition",
            "--local", "--opt", "--build-arg", "--build-context", "--oci-layout", "--insecure-registry", "--target", "-f", "--file", "-o", "--output", "--progress", "--state",
            "--runtime", "--metadata-file", "--secret", "--ssh", "-t", "--tag", "--on-error");

    static Invocation parse(List<String> args) throws UsageException {
        String frontend = null;
        List<Path> classpath = new ArrayList<>();
        Map<String, Path> locals = new LinkedHashMap<>();
        Map<String, String> opts = new LinkedHashMap<>();
        List<OutputSpec> outputs = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        boolean push = false;
        String progress = "auto";
        Path metadataFile = null;
        List<String> secrets = new ArrayList<>();
        List<String> ssh = new ArrayList<>();
        boolean shellOnError = false;
        List<String> insecureRegistries = new ArrayList<>();
        Path state = null;
        String runtime = "auto";
        Path context = null;
        Path dockerfile = null;
        String definition = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String flag = arg.contains("=") && arg.startsWith("--") ? arg.substring(0, arg.indexOf('=')) : arg;
            String inlineValue = flag.equals(arg) ? null : arg.substring(arg.indexOf('=') + 1);
            if (!flag.startsWith("-") || flag.equals("-")) {
                if (context != null) {
                    throw new UsageException("build takes one context directory, got " + context + " and " + arg);
                }
                context = Path.of(arg);
                continue;
            }
            if (flag.equals("-h") || flag.equals("--help")) {
                throw new UsageException(USAGE);
            }
            if (flag.equals("--push") && inlineValue == null) {
                push = true;
                continue;
            }
            if (!VALUE_FLAGS.contains(flag)) {
                throw new UsageException("unknown option " + flag + " (kiln build --help lists them)");
            }
            if (inlineValue == null && i + 1 >= args.size()) {
                throw new UsageException(flag + " needs a value");
            }
            String value = inlineValue != null ? inlineValue : args.get(++i);
            switch (flag) {
                case "--frontend" -> frontend = value;
                case "--definition" -> definition = value;
                case "--frontend-classpath" -> {
                    for (String part : value.split(":")) {
                        if (!part.isEmpty()) {
                            classpath.add(Path.of(part));
                        }
                    }
                }
                case "--local" -> {
                    String[] kv = keyValue(flag, value);
                    locals.put(kv[0], Path.of(kv[1]));
                }
                case "--opt" -> {
                    String[] kv = keyValue(flag, value);
                    opts.put(kv[0], kv[1]);
                }
                case "--build-context" -> {
                    // docker buildx's named contexts: a directory, or a source such as docker-image://REF
                    String[] kv = keyValue(flag, value);
                    if (kv[1].startsWith("oci-layout:///")) {
                        // buildx's form names the layout's directory; the build gets it as a store
                        String rest = kv[1].substring("oci-layout://".length());
                        int at = rest.lastIndexOf('@');
                        String dir = at < 0 ? rest : rest.substring(0, at);
                        String store = "oci-" + dev.kiln.llb.Digest.sha256(dir.getBytes(
                                java.nio.charset.StandardCharsets.UTF_8)).hex().substring(0, 12);
                        locals.put(store, Path.of(dir));
                        opts.put("context:" + kv[0], "oci-layout://" + store + (at < 0 ? "" : rest.substring(at)));
                    } else if (kv[1].contains("://")) {
                        opts.put("context:" + kv[0], kv[1]);
                    } else {
                        locals.put(kv[0], Path.of(kv[1]));
                        opts.put("context:" + kv[0], "local:" + kv[0]);
                    }
                }
                case "--insecure-registry" -> insecureRegistries.add(value);
                case "--oci-layout" -> {
                    String[] kv = keyValue(flag, value);
                    locals.put(kv[0], Path.of(kv[1]));
                }
                case "--build-arg" -> {
                    String[] kv = keyValue(flag, value);
                    opts.put("build-arg:" + kv[0], kv[1]);
                }
                case "--target" -> opts.put("target", value);
                case "-f", "--file" -> dockerfile = Path.of(value);
                case "-o", "--output" -> outputs.add(OutputSpec.parse(value));
                case "-t", "--tag" -> tags.add(value);
                case "--progress" -> {
                    if (!List.of("auto", "tty", "plain", "rawjson", "quiet").contains(value)) {
                        throw new UsageException("--progress: expected auto, tty, plain, rawjson or quiet, got " + value);
                    }
                    progress = value;
                }
                case "--state" -> state = Path.of(value);
                case "--runtime" -> runtime = value;
                case "--metadata-file" -> metadataFile = Path.of(value);
                case "--secret" -> secrets.add(value);
                case "--ssh" -> ssh.add(value);
                case "--on-error" -> {
                    if (!value.equals("fail") && !value.equals("shell")) {
                        throw new UsageException("--on-error: expected fail or shell, got " + value);
                    }
                    shellOnError = value.equals("shell");
                }
                default -> throw new IllegalStateException("option " + flag + " is listed but not handled");
            }
        }
        return new Invocation(frontend, classpath, locals, opts, outputs, progress, state, runtime, context, dockerfile,
                definition, metadataFile, secrets, ssh, shellOnError, tags, push, insecureRegistries);
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
        try (Engine engine = Engine.open(options, Frontends.discover(loader))) {
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
        }
        return 0;
    }

    private static EngineOptions engineOptions(Invocation invocation) {
        EngineOptions options = EngineOptions.defaults().withRuntime(invocation.runtime())
                .withInsecureRegistries(java.util.Set.copyOf(invocation.insecureRegistries()));
        return invocation.stateDir() == null ? options : options.withStateDir(invocation.stateDir());
    }

    /** {@code kiln debug STEP [build options]}: builds, then opens a shell in the named step's result. */
    int debug(String selector, List<String> args) throws Exception {
        Invocation invocation = parse(args);
        BuildRequest request = request(invocation);
        EngineOptions options = engineOptions(invocation);
        ProgressListener display = display(invocation.progress());
        try (Engine engine = Engine.open(options, Frontends.discover(loader(invocation.frontendClasspath())))) {
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
            return "; no output (add --output to export the result)";
        }
        return "; exported to " + request.exports().stream().map(BuildCommand::describe)
                .collect(java.util.stream.Collectors.joining(", "));
    }

    private static String describe(ExportTarget target) {
        return switch (target) {
            case ExportTarget.LocalDirectory(Path dest) -> dest.toString();
            case ExportTarget.TarFile(Path dest) -> dest + " (tar)";
            case ExportTarget.TarStream stream -> "stdout (tar)";
            case ExportTarget.Image image -> (image.names().isEmpty() ? "an unnamed image"
                    : String.join(", ", image.names())) + (image.push() ? " (pushed)" : " (image)");
            case ExportTarget.OciArchive archive -> describe(archive.destination()) + " (oci)";
            case ExportTarget.DockerArchive archive -> describe(archive.destination()) + " (docker)";
        };
    }

    private static String describe(ArchiveDestination destination) {
        return switch (destination) {
            case ArchiveDestination.ToFile(Path path) -> path.toString();
            case ArchiveDestination.ToStream stream -> "stdout";
        };
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
                frontend = new FrontendSpec.Llb(Definition.parseFrom(bytes));
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
                Secrets.parseSsh(invocation.ssh(), System.getenv()));
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
        List<ExportTarget> exports = new ArrayList<>();
        for (OutputSpec output : outputs) {
            exports.add(output.target(out, invocation.tags(), invocation.push(), epoch));
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
