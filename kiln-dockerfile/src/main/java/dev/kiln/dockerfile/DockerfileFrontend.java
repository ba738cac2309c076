package dev.kiln.dockerfile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import dev.kiln.core.SourceFrame;
import dev.kiln.dockerfile.convert.ConvertOptions;
import dev.kiln.dockerfile.convert.DockerfileConverter;
import dev.kiln.dockerfile.convert.Linter;
import dev.kiln.dockerfile.convert.Platforms;
import dev.kiln.dockerfile.parser.DirectiveParser;
import dev.kiln.dockerfile.parser.DockerfileParser;
import dev.kiln.dockerfile.parser.ParsedDockerfile;
import dev.kiln.dockerfile.parser.SourceFile;
import dev.kiln.gateway.Attestation;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.CacheOptionsEntry;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Frontend;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.gateway.WarnOpts;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.LocalOption;
import dev.kiln.llb.MarshalOptions;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.SourceLines;
import dev.kiln.llb.SourceMap;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.Definition;
import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Dockerfile frontend, {@code dockerfile.v0}: reads the Dockerfile (and its ignore files) through the
 * gateway client, converts it to LLB, solves it, and returns the target's filesystem with its image config
 * under {@code containerimage.config}. It knows nothing of the engine beyond the gateway API.
 */
public final class DockerfileFrontend implements Frontend, BuildFunction {

    public static final String NAME = "dockerfile.v0";
    /** The result metadata key of the image config, as BuildKit's exporters read it. */
    public static final String IMAGE_CONFIG_KEY = "containerimage.config";

    public static final String BASE_IMAGE_CONFIG_KEY = "containerimage.base.config";
    public static final String PLATFORMS_KEY = Result.PLATFORMS_KEY;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The build argument that names a frontend image in place of the Dockerfile's {@code # syntax=}. */
    static final String SYNTAX_ARG = "build-arg:BUILDKIT_SYNTAX";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BuildFunction function() {
        return this;
    }

    @Override
    public Result build(Client client) throws InterruptedException {
        try {
            return buildDockerfile(client);
        } catch (DockerfileException | FrontendOptions.DockerfileOptionException e) {
            throw new GatewayException(e.getMessage(), e);
        }
    }

    private Result buildDockerfile(Client client) throws InterruptedException {
        FrontendOptions given = FrontendOptions.of(client.buildOpts());
        Optional<Subrequests.Request> request = Subrequests.Request.of(given.opts());
        if (request.isPresent() && request.get() == Subrequests.Request.DESCRIBE) {
            return Subrequests.describe();
        }
        Optional<RemoteContext> remote = RemoteContext.of(client, given);
        FrontendOptions options = remote.isPresent() && !given.dockerfileNameForced()
                ? given.withFilename(remote.get().dockerfile())
                : given;
        Platform buildPlatform = options.buildPlatform();
        Map<String, State> inputs = client.inputs();
        DockerfileSource source = readDockerfile(client, options, inputs, buildPlatform, remote);
        Optional<Syntax> syntax = syntax(options.opts(), source.data());
        if (syntax.isPresent()) {
            return forward(client, syntax.get(), new SourceFile(options.filename(), source.data()));
        }
        if (request.isPresent()) {
            return answer(request.get(), client, options, source);
        }
        ParsedDockerfile parsed = DockerfileParser.parse(options.filename(), source.data());
        String checkOption = checkOption(options, source.data());
        SourceMap sourceMap = sourceMap(options, source);
        ClientSources sources = clientSources(client, options, source);
        List<Platform> targets = options.targetPlatforms().isEmpty()
                ? java.util.Collections.singletonList(null)
                : options.targetPlatforms();
        Result result = Result.empty();
        Map<String, Platform> built = new java.util.LinkedHashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            ConvertOptions convert = options.convert().withTargetPlatform(targets.get(i));
            DockerfileConverter.Result converted =
                    DockerfileConverter.convert(parsed, convert, sources, sourceMap, checkOption);
            if (i == 0) {
                warn(client, source, options, converted.warnings());
            }
            Definition definition =
                    converted.state().marshal(MarshalOptions.defaults().withDefaultPlatform(converted.platform()));
            Result solved = client.solve(SolveRequest.of(definition).withCacheImports(cacheImports(options)));
            Reference ref = solved.ref().orElse(null);
            byte[] config = converted.image().toDockerOciImageJson();
            String id = Platforms.format(converted.platform());
            if (options.convert().multiPlatform()) {
                if (ref != null) {
                    result = result.withRef(id, ref);
                }
                result = result.withMetadata(IMAGE_CONFIG_KEY + "/" + id, config);
                if (converted.baseImage() != null) {
                    result = result.withMetadata(
                            BASE_IMAGE_CONFIG_KEY + "/" + id,
                            converted.baseImage().toDockerOciImageJson());
                }
            } else {
                if (ref != null) {
                    result = result.withRef(ref);
                }
                result = result.withMetadata(IMAGE_CONFIG_KEY, config);
                if (converted.baseImage() != null) {
                    result = result.withMetadata(
                            BASE_IMAGE_CONFIG_KEY, converted.baseImage().toDockerOciImageJson());
                }
            }
            if (wantsSbom(options)) {
                // as BuildKit's frontend: the target's SBOM first, then each stage's the build argument asks for
                result = result.withAttestation(id, Attestation.sbomScan("sbom", ref));
                for (Map.Entry<String, State> stage : converted.scanStages().entrySet()) {
                    Definition stageDefinition = stage.getValue()
                            .marshal(MarshalOptions.defaults().withDefaultPlatform(converted.platform()));
                    Reference stageRef = client.solve(
                                    SolveRequest.of(stageDefinition).withCacheImports(cacheImports(options)))
                            .ref()
                            .orElse(null);
                    result = result.withAttestation(id, Attestation.sbomScan("sbom-" + stage.getKey(), stageRef));
                }
            }
            built.put(id, converted.platform());
        }
        return result.withPlatforms(built);
    }

    /**
     * Answers a subrequest instead of building: nothing is solved but the Dockerfile, and base images are looked up
     * only by the outline and the lint, which convert the Dockerfile as BuildKit's do.
     */
    private static Result answer(
            Subrequests.Request request, Client client, FrontendOptions options, DockerfileSource source)
            throws InterruptedException {
        return switch (request) {
            case TARGETS ->
                Subrequests.targets(DockerfileParser.parse(options.filename(), source.data()), source.data());
            case OUTLINE ->
                Subrequests.outline(
                        DockerfileConverter.outline(conversionInput(client, options, source)), source.data());
            case LINT -> Subrequests.lint(lint(client, options, source), options.filename(), source.data());
            case DESCRIBE -> Subrequests.describe();
        };
    }

    /** The lint's findings; a Dockerfile that does not parse, or whose base images cannot be had, is its error. */
    private static DockerfileConverter.LintReport lint(Client client, FrontendOptions options, DockerfileSource source)
            throws InterruptedException {
        try {
            return DockerfileConverter.lint(conversionInput(client, options, source));
        } catch (DockerfileException e) {
            return new DockerfileConverter.LintReport(List.of(), Optional.of(e));
        } catch (GatewayException e) {
            return new DockerfileConverter.LintReport(
                    List.of(), Optional.of(new DockerfileException(options.filename(), e.getMessage())));
        }
    }

    /** What a subrequest converts: the Dockerfile for the first target platform, without the build context. */
    private static DockerfileConverter.Input conversionInput(
            Client client, FrontendOptions options, DockerfileSource source) throws InterruptedException {
        List<Platform> platforms = options.targetPlatforms();
        return new DockerfileConverter.Input(
                DockerfileParser.parse(options.filename(), source.data()),
                options.convert().withTargetPlatform(platforms.isEmpty() ? null : platforms.getFirst()),
                clientSources(client, options, source),
                sourceMap(options, source),
                checkOption(options, source.data()));
    }

    /** The build checks' configuration: the BUILDKIT_DOCKERFILE_CHECK build argument, else the {@code # check=}. */
    private static String checkOption(FrontendOptions options, byte[] dockerfile) {
        String checkOption = options.checkOption() != null
                ? options.checkOption()
                : DirectiveParser.find(DirectiveParser.CHECK, dockerfile)
                        .map(d -> d.value())
                        .orElse("");
        try {
            Linter.configured(checkOption);
        } catch (IllegalArgumentException e) {
            throw new DockerfileException(options.filename(), "failed to parse check options: " + e.getMessage());
        }
        return checkOption;
    }

    private static SourceMap sourceMap(FrontendOptions options, DockerfileSource source) {
        return new SourceMap(options.filename(), "Dockerfile", source.data(), source.definition());
    }

    private static ClientSources clientSources(Client client, FrontendOptions options, DockerfileSource source)
            throws InterruptedException {
        return new ClientSources(client, options, source.context(), source.ignoreFile());
    }

    /** Whether the build asks for an SBOM ({@code attest:sbom}, not disabled): the frontend then names what to scan. */
    private static boolean wantsSbom(FrontendOptions options) {
        String value = options.opts().get("attest:sbom");
        return value != null && !value.contains("disabled=true");
    }

    /**
     * Caches to import, as BuildKit's frontend reads them: {@code cache-imports} (a JSON list of
     * {"Type": ..., "Attrs": {...}}) and the older {@code cache-from} (registry references, comma-separated).
     */
    static List<CacheOptionsEntry> cacheImports(FrontendOptions options) {
        List<CacheOptionsEntry> imports = new ArrayList<>();
        String json = options.opts().getOrDefault("cache-imports", "");
        if (!json.isEmpty()) {
            try {
                for (JsonNode entry : JSON.readTree(json)) {
                    Map<String, String> attrs = new java.util.LinkedHashMap<>();
                    entry.path("Attrs")
                            .properties()
                            .forEach(e -> attrs.put(e.getKey(), e.getValue().asText()));
                    imports.add(new CacheOptionsEntry(entry.path("Type").asText(), attrs));
                }
            } catch (IOException e) {
                throw new FrontendOptions.DockerfileOptionException(
                        "failed to unmarshal cache-imports (" + json + "): " + e.getMessage());
            }
        }
        String from = options.opts().getOrDefault("cache-from", "");
        if (!from.isEmpty()) {
            for (String ref : from.split(",")) {
                imports.add(new CacheOptionsEntry("registry", Map.of("ref", ref)));
            }
        }
        return imports;
    }

    /**
     * The Dockerfile: the file named by {@code filename} in the remote context if there is one, else in the
     * "dockerfile" input, else in the "dockerfile" local ("dockerfile" in lower case also works for the default
     * name), with the {@code <filename>.dockerignore} next to it if there is one. A {@code dockerfilekey} option
     * always reads the local it names.
     */
    private static DockerfileSource readDockerfile(
            Client client,
            FrontendOptions options,
            Map<String, State> inputs,
            Platform buildPlatform,
            Optional<RemoteContext> remote)
            throws InterruptedException {
        String filename = options.filename();
        Optional<RemoteContext> from = options.dockerfileNameForced() ? Optional.empty() : remote;
        State source =
                from.map(RemoteContext::state).orElse(options.dockerfileNameForced() ? null : inputs.get("dockerfile"));
        if (source == null) {
            List<String> follow = new ArrayList<>(List.of(filename, filename + ".dockerignore"));
            boolean defaultName = baseName(filename).equals(FrontendOptions.DEFAULT_FILENAME);
            if (defaultName) {
                follow.add(siblingName(filename, "dockerfile"));
            }
            source = State.local(
                    options.dockerfileName(),
                    LocalOption.sessionId(options.session(options.dockerfileName())),
                    LocalOption.followPaths(follow.toArray(String[]::new)),
                    LocalOption.sharedKeyHint(options.dockerfileName()),
                    OpOption.customName("[internal] load build definition from " + filename),
                    LocalOption.differ(LocalOption.LocalDiffer.NONE, false));
        }
        Definition definition = source.marshal(MarshalOptions.defaults().withDefaultPlatform(buildPlatform));
        Result solved;
        try {
            solved = client.solve(SolveRequest.of(definition).withEvaluate(true));
        } catch (GatewayException e) {
            throw from.map(r -> r.failed("failed to load", e))
                    .orElseGet(() -> new GatewayException("failed to resolve dockerfile: " + e.getMessage(), e));
        }
        Reference ref = solved.ref()
                .orElseThrow(() -> new GatewayException(
                        "failed to read dockerfile: the " + options.dockerfileName() + " source is empty"));
        byte[] data;
        try {
            data = ref.readFile(ReadRequest.of(filename));
        } catch (GatewayException e) {
            Optional<byte[]> lower = Optional.empty();
            if (baseName(filename).equals(FrontendOptions.DEFAULT_FILENAME)) {
                try {
                    lower = Optional.of(ref.readFile(ReadRequest.of(siblingName(filename, "dockerfile"))));
                } catch (GatewayException ignored) {
                    lower = Optional.empty();
                }
            }
            data = lower.orElseThrow(() -> from.map(r -> r.failed("failed to read dockerfile " + filename + " from", e))
                    .orElseGet(() -> new GatewayException("failed to read dockerfile: " + e.getMessage(), e)));
        }
        if (data.length == 0) {
            throw new DockerfileException(filename, "the Dockerfile cannot be empty");
        }
        byte[] ignore;
        try {
            ignore = ref.readFile(ReadRequest.of(filename + ".dockerignore"));
        } catch (GatewayException e) {
            ignore = null;
        }
        Digest head = LlbGraph.decode(definition)
                .output()
                .map(edge -> edge.vertex().digest())
                .orElse(null);
        return new DockerfileSource(data, definition, head, ignore, mainContext(options, inputs, remote));
    }

    /**
     * The build context when it is not the local directory: the remote context, else the "context" input (unless
     * {@code contextkey} names a local), scoped to {@code contextsubdir} if given; null to read the local.
     */
    private static State mainContext(
            FrontendOptions options, Map<String, State> inputs, Optional<RemoteContext> remote) {
        State context = remote.map(RemoteContext::state)
                .orElse(options.opts().containsKey("contextkey") ? null : inputs.get("context"));
        String dir = options.opts().getOrDefault("contextsubdir", "");
        return context == null || dir.isEmpty() ? context : RemoteContext.scoped(context, dir);
    }

    /**
     * The frontend image a {@code # syntax=} line (or the {@code BUILDKIT_SYNTAX} build argument, which overrides it)
     * hands the build to, with the whole value as BuildKit's {@code cmdline} option; empty when this frontend builds
     * the Dockerfile itself: no syntax, Docker's own {@code docker/dockerfile} images (whose Dockerfile syntax this
     * frontend implements, with no registry needed), or an engine that already ran a syntax image (it passes
     * {@code cmdline}, and that image runs this frontend).
     */
    static Optional<Syntax> syntax(Map<String, String> opts, byte[] dockerfile) {
        if (opts.containsKey("cmdline")) {
            return Optional.empty();
        }
        String value = opts.get(SYNTAX_ARG);
        int line = 0;
        if (value == null) {
            Optional<DirectiveParser.Directive> directive = DirectiveParser.find(DirectiveParser.SYNTAX, dockerfile);
            if (directive.isEmpty()) {
                return Optional.empty();
            }
            value = directive.get().value();
            line = directive.get().line();
        }
        String cmdline = value.strip();
        String image = cmdline.split("\\s+", 2)[0];
        if (image.isEmpty() || image.matches("^(docker\\.io/)?docker/dockerfile(-upstream)?(:[^@]*)?(@.*)?$")) {
            return Optional.empty();
        }
        return Optional.of(new Syntax(image, cmdline, line, opts.containsKey(SYNTAX_ARG)));
    }

    /** A frontend image to hand the build to; {@code line} is 0 for the build argument. */
    record Syntax(String image, String cmdline, int line, boolean fromBuildArg) {}

    /**
     * Runs the syntax image as BuildKit's Dockerfile frontend forwards to it: {@code gateway.v0} with this build's
     * options plus {@code source} and {@code cmdline}, and its inputs. Its failure is said as BuildKit says it: the
     * build argument's in the message; the {@code # syntax=} line beside it, unless the failure names lines of its own.
     */
    private static Result forward(Client client, Syntax syntax, SourceFile dockerfile) throws InterruptedException {
        Map<String, String> opts = new java.util.HashMap<>(client.buildOpts().opts());
        opts.put("cmdline", syntax.cmdline());
        opts.put("source", syntax.image());
        Map<String, Definition> inputs = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, State> input : client.inputs().entrySet()) {
            inputs.put(input.getKey(), input.getValue().marshal());
        }
        try {
            return client.solve(SolveRequest.frontend("gateway.v0", opts).withFrontendInputs(inputs));
        } catch (GatewayException e) {
            if (syntax.fromBuildArg()) {
                throw new GatewayException(
                        "failed with " + SYNTAX_ARG + " = " + syntax.cmdline() + ": " + e.getMessage(), e);
            }
            if (SourceFrame.Located.in(e).isPresent()) {
                throw e;
            }
            DockerfileException directive = dockerfile.error(syntax.line(), syntax.line(), e.getMessage());
            directive.initCause(e);
            throw new GatewayException(e.getMessage(), directive);
        }
    }

    private static void warn(
            Client client, DockerfileSource source, FrontendOptions options, List<Linter.Warning> warnings) {
        for (Linter.Warning warning : warnings) {
            client.warn(
                    source.head(),
                    warning.formatted(),
                    warnOpts(
                            source,
                            options,
                            warning.startLine(),
                            warning.endLine(),
                            List.of(warning.rule().description().getBytes(StandardCharsets.UTF_8)),
                            warning.rule().url()));
        }
    }

    private static WarnOpts warnOpts(
            DockerfileSource source, FrontendOptions options, int start, int end, List<byte[]> detail, String url) {
        SourceInfo info = SourceInfo.newBuilder()
                .setFilename(options.filename())
                .setData(ByteString.copyFrom(source.data()))
                .setLanguage("Dockerfile")
                .setDefinition(source.definition())
                .build();
        List<Range> ranges = start > 0 ? SourceLines.eachLine(start, Math.max(start, end)) : List.of();
        return new WarnOpts(1, info, ranges, detail, url);
    }

    private static String baseName(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }

    private static String siblingName(String path, String name) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? name : path.substring(0, slash + 1) + name;
    }

    /**
     * The Dockerfile's bytes, the definition that loaded it, its vertex (warnings point at it), its ignore file, and
     * the build context when that is not the local directory (null when it is).
     */
    private record DockerfileSource(
            byte[] data, Definition definition, Digest head, byte[] ignoreFile, State context) {}
}
