package dev.kiln.dockerfile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.dockerfile.convert.ConvertSources;
import dev.kiln.dockerfile.convert.Platforms;
import dev.kiln.dockerfile.convert.StageConfigs;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.ResolvedImageConfig;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.llb.HttpOption;
import dev.kiln.llb.LocalOption;
import dev.kiln.llb.MarshalOptions;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.PlatformWire;
import dev.kiln.llb.State;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.OciFormatException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The build's sources on the gateway client: the build context (a local directory with its .dockerignore, a
 * remote context or a frontend input), named contexts ({@code context:NAME} options) and image configs. Lookups are remembered,
 * so converting twice asks the client once.
 */
final class ClientSources implements ConvertSources {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DOCKERIGNORE = ".dockerignore";

    private final Client client;
    private final FrontendOptions options;
    private final State contextInput;
    private final byte[] dockerfileIgnore;
    private final Map<String, ResolvedImage> images = new ConcurrentHashMap<>();
    private final Map<String, Loaded> contexts = new ConcurrentHashMap<>();

    /**
     * @param contextInput the build context when it is not the local directory (a remote context or the "context"
     *     input of the frontend), or null to read the local directory
     * @param dockerfileIgnore the content of "Dockerfile.dockerignore" next to the Dockerfile, or null
     */
    ClientSources(Client client, FrontendOptions options, State contextInput, byte[] dockerfileIgnore) {
        this.client = client;
        this.options = options;
        this.contextInput = contextInput;
        this.dockerfileIgnore = dockerfileIgnore;
    }

    @Override
    public State mainContext(List<String> followPaths) {
        if (contextInput != null) {
            return contextInput;
        }
        List<LocalOption> local = new ArrayList<>();
        List<String> excludes = ignorePatterns();
        if (!excludes.isEmpty()) {
            local.add(LocalOption.exclude(excludes.toArray(String[]::new)));
        }
        local.add(LocalOption.sessionId(options.session(options.contextName())));
        local.add(LocalOption.sharedKeyHint(options.contextName()));
        local.add(OpOption.customName("[internal] load build context"));
        if (!followPaths.isEmpty()) {
            local.add(LocalOption.followPaths(followPaths.toArray(String[]::new)));
        }
        return State.local(options.contextName(), local.toArray(LocalOption[]::new));
    }

    /** The Dockerfile's own ignore file wins; otherwise the context's .dockerignore, if it has one. */
    private List<String> ignorePatterns() {
        if (dockerfileIgnore != null) {
            return IgnoreFile.patterns(dockerfileIgnore);
        }
        State file = State.local(
                options.contextName(),
                LocalOption.sessionId(options.session(options.contextName())),
                LocalOption.followPaths(DOCKERIGNORE),
                LocalOption.sharedKeyHint(options.contextName() + "-" + DOCKERIGNORE),
                OpOption.customName("[internal] load " + DOCKERIGNORE),
                LocalOption.differ(LocalOption.LocalDiffer.NONE, false));
        Optional<byte[]> data = readOptional(file, DOCKERIGNORE);
        return data.map(IgnoreFile::patterns).orElse(List.of());
    }

    @Override
    public Optional<NamedContext> namedContext(String name, Platform platform) {
        String withPlatform = name + "::" + Platforms.format(platform);
        for (String key : List.of(withPlatform, name)) {
            String value = options.opts().get("context:" + key);
            if (value != null) {
                return Optional.of(() -> contexts.computeIfAbsent(
                        key + "\n" + Platforms.format(platform), k -> loadUnchecked(key, value, platform)));
            }
        }
        return Optional.empty();
    }

    private Loaded loadUnchecked(String name, String spec, Platform platform) {
        try {
            return load(name, spec, platform);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException("interrupted while loading context " + name, e);
        }
    }

    /** Loads a named context: docker-image://, local:, input:, git and http sources, oci-layout://. */
    private Loaded load(String name, String spec, Platform platform) throws InterruptedException {
        int colon = spec.indexOf(':');
        if (colon < 0) {
            throw new GatewayException("invalid context specifier " + spec + " for " + name);
        }
        String kind = spec.startsWith("git@") ? "git" : spec.substring(0, colon);
        String rest = spec.substring(colon + 1);
        String label = "[context " + name + "] ";
        return switch (kind) {
            case "docker-image" -> image(rest.startsWith("//") ? rest.substring(2) : rest, platform, label);
            case "local" -> local(rest, name, label);
            case "input" -> input(rest, name);
            case "git" ->
                new Loaded(
                        RemoteContext.gitSource(spec, false, label + spec)
                                .orElseThrow(
                                        () -> new GatewayException("invalid git context " + spec + " for " + name)),
                        null);
            case "http", "https" ->
                new Loaded(
                        RemoteContext.gitSource(spec, false, label + spec)
                                .orElseGet(() -> State.http(
                                        spec, HttpOption.filename("context"), OpOption.customName(label + spec))),
                        null);
            case "oci-layout" -> ociLayout(rest.startsWith("//") ? rest.substring(2) : rest, name, platform, label);
            default -> throw new GatewayException("unsupported context source " + kind + " for " + name);
        };
    }

    private Loaded image(String reference, Platform platform, String label) throws InterruptedException {
        if (reference.equals("scratch")) {
            return new Loaded(State.scratch(), null);
        }
        String normalized;
        try {
            normalized =
                    ImageReference.parseNormalized(reference).withDefaultTag().toString();
        } catch (IllegalArgumentException e) {
            throw new GatewayException(e.getMessage(), e);
        }
        ResolvedImage resolved = resolveImageConfig(normalized, platform, label + "load metadata for " + reference);
        ImageConfig config = parse(resolved.config(), reference);
        String pinned = resolved.reference().isEmpty() ? normalized : resolved.reference();
        if (!resolved.digest().isEmpty() && !pinned.contains("@")) {
            pinned = pinned + "@" + resolved.digest();
        }
        State state = State.image(pinned, OpOption.platform(platform), OpOption.customName(label + reference));
        return new Loaded(withConfig(state, config), config);
    }

    /** A local directory the client passes, with its own .dockerignore applied. */
    private Loaded local(String localName, String name, String label) {
        State ignore = State.local(
                localName,
                LocalOption.sessionId(options.session(localName)),
                LocalOption.followPaths(DOCKERIGNORE),
                LocalOption.sharedKeyHint("context:" + name + "-" + DOCKERIGNORE),
                OpOption.customName(label + "load " + DOCKERIGNORE),
                LocalOption.differ(LocalOption.LocalDiffer.NONE, false));
        List<String> excludes =
                readOptional(ignore, DOCKERIGNORE).map(IgnoreFile::patterns).orElse(List.of());
        List<LocalOption> local = new ArrayList<>();
        local.add(OpOption.customName(label + "load from client"));
        local.add(LocalOption.sessionId(options.session(localName)));
        local.add(LocalOption.sharedKeyHint("context:" + name));
        if (!excludes.isEmpty()) {
            local.add(LocalOption.exclude(excludes.toArray(String[]::new)));
        }
        return new Loaded(State.local(localName, local.toArray(LocalOption[]::new)), null);
    }

    /** A state the caller passed to the frontend, with its image config from "input-metadata:NAME" if given. */
    private Loaded input(String inputName, String name) throws InterruptedException {
        State state = client.inputs().get(inputName);
        if (state == null) {
            throw new GatewayException("invalid input " + inputName + " for " + name);
        }
        String metadata = options.opts().get("input-metadata:" + inputName);
        if (metadata == null) {
            return new Loaded(state, null);
        }
        JsonNode parsed;
        try {
            parsed = JSON.readTree(metadata);
        } catch (IOException e) {
            throw new GatewayException("failed to parse input metadata " + metadata + ": " + e.getMessage(), e);
        }
        JsonNode config = parsed.get("containerimage.config");
        if (config == null || config.isNull()) {
            return new Loaded(state, null);
        }
        byte[] bytes = Base64.getDecoder().decode(config.asText());
        ImageConfig image = parse(bytes, name);
        return new Loaded(withConfig(state, image), image);
    }

    private Loaded ociLayout(String reference, String name, Platform platform, String label)
            throws InterruptedException {
        ImageReference ref;
        try {
            ref = ImageReference.parseNormalized(reference);
        } catch (IllegalArgumentException e) {
            throw new GatewayException(
                    "could not parse oci-layout reference \"" + reference + "\": " + e.getMessage(), e);
        }
        if (ref.digest().isEmpty()) {
            throw new GatewayException("oci-layout reference \"" + reference + "\" has no digest");
        }
        ResolvedImageConfig resolved = client.resolveImageConfig(
                ref.toString(),
                new ResolveImageConfigOpt(
                        PlatformWire.toProto(platform),
                        "default",
                        label + "load metadata for " + reference,
                        ResolveImageConfigOpt.ImageStore.OCI_LAYOUT));
        ImageConfig config = parse(resolved.config(), name);
        State state = State.ociLayout(
                ref.toString(), OpOption.customName(label + "OCI load from client"), OpOption.platform(platform));
        return new Loaded(withConfig(state, config), config);
    }

    @Override
    public ResolvedImage resolveImageConfig(String reference, Platform platform, String logName)
            throws InterruptedException {
        String key = reference + "\n" + Platforms.format(platform);
        ResolvedImage known = images.get(key);
        if (known != null) {
            return known;
        }
        ResolvedImageConfig resolved = client.resolveImageConfig(
                reference,
                new ResolveImageConfigOpt(
                        PlatformWire.toProto(platform),
                        modeName(),
                        logName,
                        ResolveImageConfigOpt.ImageStore.REGISTRY));
        ResolvedImage image = new ResolvedImage(
                resolved.ref() == null ? "" : resolved.ref(),
                resolved.digest() == null ? "" : resolved.digest().toString(),
                resolved.config());
        images.put(key, image);
        return image;
    }

    private String modeName() {
        return switch (options.convert().resolveMode()) {
            case DEFAULT -> "default";
            case FORCE_PULL -> "pull";
            case PREFER_LOCAL -> "local";
        };
    }

    /** Solves {@code state} and reads {@code path}; a file that is not there is empty, a failed solve an error. */
    private Optional<byte[]> readOptional(State state, String path) {
        try {
            Result result = client.solve(SolveRequest.of(
                            state.marshal(MarshalOptions.defaults().withDefaultPlatform(options.buildPlatform())))
                    .withEvaluate(true));
            Optional<Reference> ref = result.ref();
            if (ref.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(ref.get().readFile(ReadRequest.of(path)));
            } catch (GatewayException e) {
                return Optional.empty();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException("interrupted while reading " + path, e);
        }
    }

    /** A state with the environment, working directory and user an image config gives its containers. */
    private static State withConfig(State state, ImageConfig config) {
        State out = state;
        for (String entry : config.config().env()) {
            int eq = entry.indexOf('=');
            if (eq > 0) {
                out = out.env(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        if (!config.config().workingDir().isEmpty()) {
            out = out.dir(config.config().workingDir());
        }
        if (!config.config().user().isEmpty()) {
            out = out.user(config.config().user());
        }
        return out;
    }

    private static ImageConfig parse(byte[] config, String what) {
        try {
            return StageConfigs.parse(config, "image config for " + what);
        } catch (OciFormatException e) {
            throw new GatewayException("failed to parse " + e.getMessage(), e);
        }
    }
}
