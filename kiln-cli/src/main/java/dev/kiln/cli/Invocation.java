package dev.kiln.cli;

import dev.kiln.llb.pb.Definition;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.commons.cli.CommandLine;

/**
 * A checked {@code kiln build} command line: what both the daemon client and the embedded engine build from. It
 * loads no engine class (the client's start time depends on it), so names such as entitlements stay strings here
 * and each path converts them.
 *
 * @param ociLayouts    which of {@code locals} are OCI image layouts ({@code --oci-layout NAME=DIR}, and the stores
 *                      of {@code --build-context X=oci-layout:///DIR}), which a daemon reads as content stores
 * @param noCache       {@code --no-cache}: also marks every step of an LLB definition to run again
 * @param annotations   {@code --annotation}s as image output attributes ({@code annotation.KEY} ...)
 * @param iidFile       where {@code --iidfile} writes the image ID
 * @param quiet         {@code -q}: no progress, the image ID on stdout
 * @param entitlements  what {@code --allow} (and {@code --network host}) grant the build's steps, by BuildKit's names
 * @param noDaemon      {@code --no-daemon} (or KILN_DAEMON=0): build in this process
 * @param address       {@code --addr}: the daemon to use, null for the state's
 * @param stateTimeout  how long to wait for another kiln on the state; null for the engine's default
 * @param cacheTo       {@code --cache-to} and {@code --export-cache}: where the build's cache goes
 * @param cacheFrom     {@code --cache-from} and {@code --import-cache}: caches the build's steps may come from
 * @param explainCache  {@code --explain-cache}: print why each step that ran missed the cache
 * @param call          {@code --call} or {@code --check}: a question for the frontend instead of a build; null for a
 *                      build
 */
record Invocation(
        String frontend,
        List<Path> frontendClasspath,
        Map<String, Path> locals,
        Set<String> ociLayouts,
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
        Set<String> entitlements,
        Duration stateTimeout,
        boolean noDaemon,
        String address,
        List<CacheSpec> cacheTo,
        List<CacheSpec> cacheFrom,
        boolean explainCache,
        FrontendCall call) {

    /**
     * buildx's attestation flags as the frontend options BuildKit reads: {@code --attest type=T,K=V} becomes
     * {@code attest:T=K=V}, {@code --provenance=true|mode=...} and {@code --sbom=true} shorthands for them. As in
     * buildx, a provenance asked for on this form is mode=min unless the flag says otherwise; {@code false} (or
     * {@code disabled=true}) asks for none.
     */
    static void attestations(CommandLine line, Map<String, String> opts) throws UsageException {
        Map<String, String> attests = new LinkedHashMap<>();
        for (String value : BuildFlags.values(line, "attest")) {
            String type = null;
            List<String> rest = new ArrayList<>();
            for (String field : value.split(",")) {
                if (field.startsWith("type=")) {
                    type = field.substring("type=".length());
                } else if (!field.isEmpty()) {
                    rest.add(field);
                }
            }
            if (type == null || !(type.equals("provenance") || type.equals("sbom"))) {
                throw new UsageException("--attest: expected type=provenance or type=sbom, got " + value);
            }
            attests.put(type, String.join(",", rest));
        }
        shorthand(line, "provenance", attests);
        shorthand(line, "sbom", attests);
        for (Map.Entry<String, String> attest : attests.entrySet()) {
            String attrs = attest.getValue();
            if (attrs.contains("disabled=true")) {
                continue;
            }
            if (attest.getKey().equals("provenance") && !attrs.contains("mode=")) {
                attrs = attrs.isEmpty() ? "mode=min" : "mode=min," + attrs;
            }
            opts.put("attest:" + attest.getKey(), attrs);
        }
    }

    private static void shorthand(CommandLine line, String type, Map<String, String> attests) throws UsageException {
        if (!line.hasOption(type)) {
            return;
        }
        String value = line.getOptionValue(type);
        switch (value) {
            case "true", "1" -> attests.put(type, "");
            case "false", "0" -> attests.put(type, "disabled=true");
            default -> {
                if (!value.contains("=")) {
                    throw new UsageException("--" + type + ": expected true, false or KEY=VALUE[,...], got " + value);
                }
                attests.put(type, value);
            }
        }
    }

    /** The entitlements {@code --allow} knows, by BuildKit's names. */
    static final List<String> ENTITLEMENTS = List.of("network.host", "security.insecure");

    /**
     * A CONTEXT that is a URL rather than a directory, as buildx tells them apart: a git remote
     * ({@code git://}, {@code ssh://}, {@code git@host:repo}) or an http(s) URL, which the frontend reads itself.
     */
    private static final Pattern REMOTE_CONTEXT =
            Pattern.compile("^(?:(?:https?|git|ssh)://|[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:)");

    static Invocation parse(List<String> args) throws UsageException, HelpRequested {
        CommandLine line = BuildFlags.parse(args);
        if (line.hasOption("help")) {
            throw new HelpRequested(BuildFlags.help());
        }
        List<String> positional = line.getArgList();
        if (positional.size() > 1) {
            throw new UsageException(
                    "build takes one context directory, got " + positional.get(0) + " and " + positional.get(1));
        }
        Map<String, Path> locals = new LinkedHashMap<>();
        Map<String, String> opts = new LinkedHashMap<>();
        boolean remoteContext = !positional.isEmpty() && isRemoteContext(positional.getFirst());
        if (remoteContext) {
            opts.put("context", positional.getFirst());
        }
        for (String value : BuildFlags.values(line, "local")) {
            String[] kv = keyValue("--local", value);
            locals.put(kv[0], Path.of(kv[1]));
        }
        for (String value : BuildFlags.values(line, "opt")) {
            String[] kv = keyValue("--opt", value);
            opts.put(kv[0], kv[1]);
        }
        Set<String> ociLayouts = new LinkedHashSet<>();
        for (String value : BuildFlags.values(line, "oci-layout")) {
            String[] kv = keyValue("--oci-layout", value);
            locals.put(kv[0], Path.of(kv[1]));
            ociLayouts.add(kv[0]);
        }
        for (String value : BuildFlags.values(line, "build-context")) {
            buildContext(keyValue("--build-context", value), locals, ociLayouts, opts);
        }
        for (String value : BuildFlags.values(line, "build-arg")) {
            String[] kv = keyValue("--build-arg", value);
            opts.put("build-arg:" + kv[0], kv[1]);
        }
        for (String value : BuildFlags.values(line, "label")) {
            String[] kv = keyValue("--label", value);
            opts.put("label:" + kv[0], kv[1]);
        }
        attestations(line, opts);
        if (line.hasOption("target")) {
            opts.put("target", line.getOptionValue("target"));
        }
        // as buildx: --platform a,b (or the flag given twice) builds each platform; the frontend reads the list
        List<String> platforms =
                BuildFlags.split(line, "platform", ",").stream().distinct().toList();
        if (!platforms.isEmpty()) {
            opts.put("platform", String.join(",", platforms));
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
        Set<String> entitlements = new LinkedHashSet<>();
        for (String name : BuildFlags.split(line, "allow", ",")) {
            if (!ENTITLEMENTS.contains(name)) {
                throw new UsageException(
                        "--allow: unknown entitlement " + name + " (known: " + String.join(", ", ENTITLEMENTS) + ")");
            }
            entitlements.add(name);
        }
        String network = line.getOptionValue("network", "default");
        switch (network) {
            case "default" -> {}
            case "none" -> opts.put("force-network-mode", "none");
            case "host" -> {
                // as buildx: asking for the host's network on the command line is the grant
                opts.put("force-network-mode", "host");
                entitlements.add("network.host");
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
        FrontendCall call = line.hasOption("check")
                ? new FrontendCall("check", false)
                : line.hasOption("call") ? FrontendCall.parse(line.getOptionValue("call")) : null;
        if (call != null) {
            opts.put(FrontendCall.REQUEST_ID, call.requestId());
        }
        Duration stateTimeout = line.hasOption("state-timeout")
                ? duration("--state-timeout", line.getOptionValue("state-timeout"))
                : null;
        return new Invocation(
                line.getOptionValue("frontend"),
                BuildFlags.split(line, "frontend-classpath", ":").stream()
                        .map(Path::of)
                        .toList(),
                locals,
                Set.copyOf(ociLayouts),
                opts,
                outputs,
                quiet ? "quiet" : progress,
                optionalPath(line, "state"),
                line.getOptionValue("runtime", "auto"),
                positional.isEmpty() || remoteContext ? null : Path.of(positional.getFirst()),
                optionalPath(line, "file"),
                line.getOptionValue("definition"),
                optionalPath(line, "metadata-file"),
                BuildFlags.values(line, "secret"),
                BuildFlags.values(line, "ssh"),
                onError.equals("shell"),
                BuildFlags.values(line, "tag"),
                line.hasOption("push"),
                BuildFlags.values(line, "insecure-registry"),
                noCache,
                annotations,
                optionalPath(line, "iidfile"),
                quiet,
                entitlements,
                stateTimeout,
                line.hasOption("no-daemon") || "0".equals(System.getenv("KILN_DAEMON")),
                line.getOptionValue("addr", System.getenv("KILN_HOST")),
                caches(line, "cache-to", "export-cache"),
                caches(line, "cache-from", "import-cache"),
                line.hasOption("explain-cache"),
                call);
    }

    /** The values of docker's flag and buildctl's, in that order. */
    private static List<CacheSpec> caches(CommandLine line, String docker, String buildctl) throws UsageException {
        List<CacheSpec> specs = new ArrayList<>();
        for (String value : BuildFlags.values(line, docker)) {
            specs.add(CacheSpec.parse("--" + docker, value));
        }
        for (String value : BuildFlags.values(line, buildctl)) {
            specs.add(CacheSpec.parse("--" + buildctl, value));
        }
        return specs;
    }

    private static Path optionalPath(CommandLine line, String name) {
        return line.hasOption(name) ? Path.of(line.getOptionValue(name)) : null;
    }

    /** docker buildx's named contexts: a directory, or a source such as docker-image://REF or oci-layout://. */
    private static void buildContext(
            String[] kv, Map<String, Path> locals, Set<String> ociLayouts, Map<String, String> opts) {
        if (kv[1].startsWith("oci-layout:///")) {
            // buildx's form names the layout's directory; the build gets it as a store
            String rest = kv[1].substring("oci-layout://".length());
            int at = rest.lastIndexOf('@');
            String dir = at < 0 ? rest : rest.substring(0, at);
            String store = "oci-"
                    + dev.kiln.core.Digest.sha256(dir.getBytes(StandardCharsets.UTF_8))
                            .hex()
                            .substring(0, 12);
            locals.put(store, Path.of(dir));
            ociLayouts.add(store);
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
            return dev.kiln.core.GoDurations.parse(text);
        } catch (IllegalArgumentException e) {
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

    /**
     * The outputs of {@code --output}; without any, as in docker build, the image under its {@code -t} names (kept
     * here, or pushed with {@code --push}, which needs a name).
     */
    List<OutputSpec> outputSpecs() throws UsageException {
        List<OutputSpec> specs = new ArrayList<>(outputs);
        if (specs.isEmpty() && (!tags.isEmpty() || push)) {
            if (tags.isEmpty()) {
                throw new UsageException(
                        "--push needs an image name: add -t NAME (or --output type=image,name=NAME," + "push=true)");
            }
            specs.add(new OutputSpec("image", Map.of()));
        }
        return specs;
    }

    /**
     * What the build's frontend starts from, as both the embedded engine and a daemon take it.
     *
     * @param frontend   the frontend's name ({@code dockerfile.v0} in docker build's form); null when the build is
     *                   the {@code definition} of buildctl's form
     * @param definition the LLB definition read from {@code --definition} or stdin; null when a frontend builds
     * @param locals     the local directories by name, absolute
     * @param opts       the frontend's options
     */
    record FrontendInput(String frontend, Definition definition, Map<String, Path> locals, Map<String, String> opts) {}

    /**
     * The frontend, the local directories and the frontend's options: those given, and in docker build's form the
     * context and the Dockerfile's directory as locals and the Dockerfile's name as {@code filename}. Every local
     * must be a directory.
     */
    FrontendInput frontendInput(InputStream in) throws UsageException, IOException {
        Map<String, Path> locals = new LinkedHashMap<>(locals());
        Map<String, String> opts = new LinkedHashMap<>(opts());
        String name = null;
        Definition read = null;
        if (frontend != null) {
            name = frontend;
        } else if (context != null) {
            Path file = dockerfile != null ? dockerfile : context.resolve("Dockerfile");
            locals.putIfAbsent("context", context);
            locals.putIfAbsent("dockerfile", file.toAbsolutePath().getParent());
            opts.putIfAbsent("filename", file.getFileName().toString());
            name = "dockerfile.v0";
        } else if (isRemoteContext(opts.getOrDefault("context", ""))) {
            name = "dockerfile.v0";
            remoteContextDockerfile(locals, opts);
        } else if (call != null) {
            throw new UsageException(
                    "--call: a frontend answers it; give a CONTEXT or --frontend, not an LLB definition");
        } else {
            read = readDefinition(in);
        }
        for (Map.Entry<String, Path> local : locals.entrySet()) {
            if (!Files.isDirectory(local.getValue())) {
                throw new UsageException("--local " + local.getKey() + "=" + local.getValue() + ": not a directory");
            }
            local.setValue(local.getValue().toAbsolutePath().normalize());
        }
        return new FrontendInput(name, read, locals, opts);
    }

    /**
     * Where the Dockerfile of a build from a URL is, as buildx has it: a {@code --file} that is a file here is sent
     * as the "dockerfile" local (the frontend's {@code dockerfilekey}), any other names a file in the remote
     * context; without {@code --file} the frontend reads the context's Dockerfile.
     */
    private void remoteContextDockerfile(Map<String, Path> locals, Map<String, String> opts) {
        if (dockerfile == null) {
            return;
        }
        if (Files.isRegularFile(dockerfile)) {
            locals.putIfAbsent("dockerfile", dockerfile.toAbsolutePath().getParent());
            opts.putIfAbsent("filename", dockerfile.getFileName().toString());
            opts.putIfAbsent("dockerfilekey", "dockerfile");
        } else {
            opts.putIfAbsent("filename", dockerfile.toString());
        }
    }

    private static boolean isRemoteContext(String context) {
        return REMOTE_CONTEXT.matcher(context).find();
    }

    /**
     * The LLB definition of buildctl's form: from {@code --definition FILE}, else stdin; with {@code --no-cache},
     * every op marked to run again.
     */
    Definition readDefinition(InputStream in) throws UsageException, IOException {
        String source = definition == null || definition.equals("-") ? "stdin" : definition;
        byte[] bytes = source.equals("stdin") ? in.readAllBytes() : readDefinitionFile(Path.of(source));
        if (bytes.length == 0) {
            throw new UsageException("no frontend, no context and nothing on stdin: give --frontend, a CONTEXT, "
                    + "or pipe an LLB definition in");
        }
        try {
            Definition parsed = Definition.parseFrom(bytes);
            return noCache ? ignoringCache(parsed) : parsed;
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new UsageException(source + " is not a marshalled LLB definition: " + e.getMessage());
        }
    }

    /**
     * The definition with every op marked to run again ({@code --no-cache} on a definition, where no frontend
     * is there to mark them). Metadata is not part of an op's digest, so the steps keep their identity.
     */
    private static Definition ignoringCache(Definition definition) {
        Definition.Builder marked = definition.toBuilder();
        for (com.google.protobuf.ByteString op : definition.getDefList()) {
            String digest = dev.kiln.core.Digest.sha256(op.toByteArray()).toString();
            dev.kiln.llb.pb.OpMetadata metadata =
                    definition.getMetadataOrDefault(digest, dev.kiln.llb.pb.OpMetadata.getDefaultInstance());
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
}
