package dev.kiln.engine.attest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.llb.LlbEdge;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.LlbVertex;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.Locations;
import dev.kiln.llb.pb.Mount;
import dev.kiln.llb.pb.MountType;
import dev.kiln.llb.pb.NetMode;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.SecretEnv;
import dev.kiln.llb.pb.SourceInfo;
import dev.kiln.llb.pb.SourceOp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Records what went into one platform's result and writes it as an SLSA provenance v1 predicate
 * ({@code https://slsa.dev/provenance/v1}) in BuildKit's shape ({@code docs/attestations/slsa-definitions.md}):
 *
 * <ul>
 *   <li>{@code buildDefinition}: BuildKit's build type; {@code resolvedDependencies}, the images (as package URLs
 *       with their platform), git commits and http checksums the result's graph read, each with the digest it
 *       resolved to; {@code externalParameters}: the config source (the {@code context} and {@code filename}
 *       options) and the request (frontend, its options, secrets, SSH agents and local directories);
 *       {@code internalParameters}: the builder's platform and, in max mode, the LLB definition as numbered
 *       steps;
 *   <li>{@code runDetails}: the builder id, the invocation id and the build's start and finish times, BuildKit's
 *       completeness and hermeticity, and in max mode the source files (Dockerfile) with the step each line made.
 * </ul>
 *
 * <p>Min mode leaves out build arguments, labels, secrets and SSH ids, as BuildKit does.
 *
 * @param frontend the frontend's name ({@code dockerfile.v0}), or "" for a definition solved as it is
 * @param opts the frontend options of the build
 * @param invocationId an id unique to this build
 * @param startedOn when the build began
 * @param builderPlatform the platform the engine runs on
 * @param pins what each source vertex resolved to, by vertex digest ({@code image}, {@code commit},
 *     {@code checksum} notes of the solver's cache map)
 */
public record ProvenanceRecorder(
        String frontend,
        Map<String, String> opts,
        String invocationId,
        Instant startedOn,
        Platform builderPlatform,
        Map<String, Map<String, String>> pins) {

    /** The predicate type of what {@link #predicate} writes. */
    public static final String PREDICATE_TYPE = "https://slsa.dev/provenance/v1";

    /** BuildKit's build type for SLSA v1. */
    static final String BUILD_TYPE =
            "https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md";

    /** Frontend options that say how this host builds, not what: BuildKit's FilterArgs leaves them out. */
    private static final List<String> HOST_SPECIFIC =
            List.of("cgroup-parent", "image-resolve-mode", "platform", "cache-imports");

    public ProvenanceRecorder {
        Objects.requireNonNull(frontend, "frontend");
        opts = Map.copyOf(opts);
        Objects.requireNonNull(invocationId, "invocationId");
        Objects.requireNonNull(startedOn, "startedOn");
        Objects.requireNonNull(builderPlatform, "builderPlatform");
        pins = Map.copyOf(pins);
    }

    /** What a graph read and ran, as BuildKit's provenance capture collects it. */
    private static final class Capture {
        final List<String[]> images = new ArrayList<>(); // ref, platform, digest, local
        final Map<String, String> git = new TreeMap<>();
        final Map<String, String> http = new TreeMap<>();
        final TreeSet<String> locals = new TreeSet<>();
        /** The content digest of each local source the build read, by name (its files as the build selected them). */
        final java.util.TreeMap<String, String> localContents = new java.util.TreeMap<>();

        final Map<String, Boolean> secrets = new TreeMap<>();
        final Map<String, Boolean> ssh = new TreeMap<>();
        boolean networkAccess;
        boolean incomplete;
    }

    /**
     * The predicate of the result {@code output} of {@code graph}, as indented JSON (BuildKit's
     * {@code json.MarshalIndent(predicate, "", "  ")}).
     */
    public byte[] predicate(
            LlbGraph graph,
            LlbEdge output,
            AttestationRequest.Mode mode,
            Map<String, String> attrs,
            Instant finishedOn) {
        Capture capture = output == null ? new Capture() : capture(output.vertex());
        Map<String, String> args = filteredArgs();
        String contextKey = args.getOrDefault("contextkey", "");
        if (contextKey.isEmpty()) {
            contextKey = "context";
        }
        ObjectNode configSource = AttestJson.object();
        String context = args.getOrDefault(contextKey, "");
        if (!context.isEmpty()) {
            configSource.put("uri", context);
            String pin = capture.git.getOrDefault(context, capture.http.get(context));
            if (pin != null) {
                configSource.putObject("digest").put(capture.git.containsKey(context) ? "sha1" : "sha256", hexOf(pin));
            }
            args.remove(contextKey);
        }
        if (!args.getOrDefault("filename", "").isEmpty()) {
            configSource.put("path", args.remove("filename"));
        }
        Map<String, String> vcs = new TreeMap<>();
        args.entrySet().removeIf(arg -> {
            if (arg.getKey().startsWith("vcs:")) {
                if (!arg.getValue().isEmpty()) {
                    vcs.put(arg.getKey().substring("vcs:".length()), arg.getValue());
                }
                return true;
            }
            return false;
        });
        boolean requestComplete = !frontend.isEmpty();
        boolean max = mode == AttestationRequest.Mode.MAX;
        if (!max) {
            boolean dropped = args.keySet().removeIf(key -> key.startsWith("build-arg:") || key.startsWith("label:"));
            requestComplete = requestComplete && !dropped;
        }
        boolean dependenciesComplete = !capture.incomplete && capture.locals.isEmpty();

        ObjectNode root = AttestJson.object();
        ObjectNode definition = root.putObject("buildDefinition");
        definition.put("buildType", BUILD_TYPE);
        ArrayNode dependencies = resolvedDependencies(capture);
        if (!dependencies.isEmpty()) {
            definition.set("resolvedDependencies", dependencies);
        }
        ObjectNode external = definition.putObject("externalParameters");
        external.set("configSource", configSource);
        ObjectNode request = external.putObject("request");
        if (!frontend.isEmpty()) {
            request.put("frontend", frontend);
        }
        if (!args.isEmpty()) {
            ObjectNode argsNode = request.putObject("args");
            new TreeMap<>(args).forEach(argsNode::put);
        }
        if (max && !capture.secrets.isEmpty()) {
            ArrayNode secrets = request.putArray("secrets");
            capture.secrets.forEach((id, optional) -> idEntry(secrets, id, optional));
        }
        if (max && !capture.ssh.isEmpty()) {
            ArrayNode ssh = request.putArray("ssh");
            capture.ssh.forEach((id, optional) -> idEntry(ssh, id, optional));
        }
        if (!capture.locals.isEmpty()) {
            ArrayNode locals = request.putArray("locals");
            capture.locals.forEach(name -> locals.addObject().put("name", name));
        }
        ObjectNode internal = definition.putObject("internalParameters");
        Map<Digest, Integer> steps = Map.of();
        if (max && output != null) {
            ObjectNode buildConfig = internal.putObject("buildConfig");
            steps = buildSteps(graph, output, buildConfig);
        }
        internal.put("builderPlatform", builderPlatform.normalize().toString());

        ObjectNode run = root.putObject("runDetails");
        run.putObject("builder").put("id", attrs.getOrDefault("builder-id", ""));
        ObjectNode metadata = run.putObject("metadata");
        metadata.put("invocationID", invocationId);
        metadata.put("startedOn", AttestJson.time(startedOn));
        metadata.put("finishedOn", AttestJson.time(finishedOn));
        ObjectNode buildkit = metadata.putObject("buildkit_metadata");
        if (!vcs.isEmpty()) {
            ObjectNode vcsNode = buildkit.putObject("vcs");
            vcs.forEach(vcsNode::put);
        }
        if (max && output != null && !graph.source().getInfosList().isEmpty()) {
            buildkit.set("source", sources(graph, steps));
        }
        if (dependenciesComplete && !capture.networkAccess) {
            metadata.put("buildkit_hermetic", true);
        }
        ObjectNode completeness = metadata.putObject("buildkit_completeness");
        completeness.put("request", requestComplete);
        completeness.put("resolvedDependencies", dependenciesComplete);
        if (Boolean.parseBoolean(attrs.getOrDefault("reproducible", "false"))) {
            metadata.put("buildkit_reproducible", true);
        }
        return AttestJson.indented(root);
    }

    private static void idEntry(ArrayNode list, String id, boolean optional) {
        ObjectNode entry = list.addObject().put("id", id);
        if (optional) {
            entry.put("optional", true);
        }
    }

    /** The frontend options a provenance records: BuildKit's FilterArgs. */
    private Map<String, String> filteredArgs() {
        Map<String, String> args = new LinkedHashMap<>();
        for (Map.Entry<String, String> opt : new TreeMap<>(opts).entrySet()) {
            String key = opt.getKey();
            if (HOST_SPECIFIC.contains(key) || key.startsWith(AttestationRequest.PREFIX) || key.startsWith("kiln:")) {
                continue;
            }
            args.put(key, opt.getValue());
        }
        return args;
    }

    private Capture capture(LlbVertex root) {
        Capture capture = new Capture();
        Map<LlbVertex, Boolean> seen = new HashMap<>();
        LlbGraph.inputsFirst(root, seen, vertex -> {
            record(vertex, capture);
            return Boolean.TRUE;
        });
        capture.images.sort(Comparator.comparing(image -> image[0]));
        return capture;
    }

    private void record(LlbVertex vertex, Capture capture) {
        Op op = vertex.op();
        Map<String, String> notes = pins.getOrDefault(vertex.digest().toString(), Map.of());
        switch (vertex.kind()) {
            case SOURCE -> source(op.getSource(), op, notes, capture);
            case EXEC -> exec(op.getExec(), capture);
            case BUILD -> capture.incomplete = true;
            default -> {}
        }
    }

    private static void source(SourceOp source, Op op, Map<String, String> notes, Capture capture) {
        String identifier = source.getIdentifier();
        int scheme = identifier.indexOf("://");
        if (scheme < 0) {
            return;
        }
        String rest = identifier.substring(scheme + 3);
        switch (identifier.substring(0, scheme)) {
            case "docker-image", "oci-layout" -> {
                boolean local = identifier.startsWith("oci-layout");
                String ref = rest;
                String pin = notes.getOrDefault("image", "").split(" ")[0];
                int at = ref.indexOf('@');
                if (at >= 0) {
                    if (pin.isEmpty()) {
                        pin = ref.substring(at + 1);
                    }
                    // a tag pinned to the digest it resolved to is named by its tag, as BuildKit's
                    // OptimizeImageSources leaves it
                    if (!local && ImageReference.parseNormalized(ref).tag().length() > 0) {
                        ref = ref.substring(0, at);
                    }
                }
                String platform = op.hasPlatform()
                        ? Platform.of(
                                        op.getPlatform().getOS(),
                                        op.getPlatform().getArchitecture(),
                                        op.getPlatform().getVariant())
                                .toString()
                        : "";
                for (String[] image : capture.images) {
                    if (image[0].equals(ref) && image[1].equals(platform) && image[3].equals(String.valueOf(local))) {
                        return;
                    }
                }
                capture.images.add(new String[] {ref, platform, pin, String.valueOf(local)});
            }
            case "git" -> {
                String url = source.getAttrsOrDefault("git.fullurl", "");
                String fragment = rest.contains("#") ? rest.substring(rest.indexOf('#') + 1) : "";
                if (url.isEmpty()) {
                    url = "https://" + rest.split("#")[0];
                }
                String ref = fragment.contains(":") ? fragment.substring(0, fragment.indexOf(':')) : fragment;
                capture.git.put(ref.isEmpty() ? url : url + "#" + ref, notes.getOrDefault("commit", ""));
            }
            case "http", "https" -> {
                String checksum = notes.getOrDefault("checksum", source.getAttrsOrDefault("http.checksum", ""));
                capture.http.put(identifier, checksum);
            }
            case "local" -> {
                capture.locals.add(rest);
                String content = notes.getOrDefault(dev.kiln.worker.ops.LocalSourceOperation.CONTENT_NOTE, "");
                if (!content.isEmpty()) {
                    capture.localContents.put(rest, content);
                }
            }
            default -> {}
        }
    }

    private static void exec(ExecOp exec, Capture capture) {
        for (Mount mount : exec.getMountsList()) {
            if (mount.getMountType() == MountType.SECRET) {
                capture.secrets.merge(
                        mount.getSecretOpt().getID(), mount.getSecretOpt().getOptional(), Boolean::logicalAnd);
            } else if (mount.getMountType() == MountType.SSH) {
                capture.ssh.merge(mount.getSSHOpt().getID(), mount.getSSHOpt().getOptional(), Boolean::logicalAnd);
            }
        }
        for (SecretEnv env : exec.getSecretenvList()) {
            capture.secrets.merge(env.getID(), env.getOptional(), Boolean::logicalAnd);
        }
        if (exec.getNetwork() != NetMode.NONE) {
            capture.networkAccess = true;
        }
    }

    private static ArrayNode resolvedDependencies(Capture capture) {
        ArrayNode list = AttestJson.MAPPER.createArrayNode();
        for (String[] image : capture.images) {
            ObjectNode entry = list.addObject();
            Platform platform = image[1].isEmpty() ? null : Platform.parse(image[1]);
            entry.put("uri", PackageUrl.image(image[3].equals("true") ? "oci" : "docker", image[0], platform));
            if (!image[2].isEmpty()) {
                Digest digest = Digest.parse(image[2]);
                entry.putObject("digest").put(digest.algorithm(), digest.hex());
            }
        }
        capture.git.forEach((url, commit) -> {
            ObjectNode entry = list.addObject().put("uri", url);
            entry.putObject("digest").put("sha1", commit);
        });
        capture.http.forEach((url, checksum) -> {
            ObjectNode entry = list.addObject().put("uri", url);
            if (!checksum.isEmpty()) {
                Digest digest = Digest.parse(checksum);
                entry.putObject("digest").put(digest.algorithm(), digest.hex());
            }
        });
        // Beyond BuildKit, which names local directories only in the request: the context's content as the build
        // read it (a digest of its files' checksums), so a provenance tells two builds of different sources apart.
        capture.localContents.forEach((name, content) -> {
            Digest digest = Digest.parse(content);
            list.addObject().put("uri", "local://" + name).putObject("digest").put(digest.algorithm(), digest.hex());
        });
        return list;
    }

    private static String hexOf(String pin) {
        int colon = pin.indexOf(':');
        return colon < 0 ? pin : pin.substring(colon + 1);
    }

    /**
     * BuildKit's {@code toBuildSteps}: the ops under {@code output}, inputs first (depth first from the output, as
     * they were reached), each as {@code stepN} with its inputs as {@code stepM:INDEX}, and the terminal op last;
     * {@code digestMapping} maps op digests to step ids. Answers each op's step number, for the source map.
     */
    private static Map<Digest, Integer> buildSteps(LlbGraph graph, LlbEdge output, ObjectNode buildConfig) {
        List<LlbVertex> order = new ArrayList<>();
        walk(output.vertex(), order, new java.util.HashSet<>());
        Map<Digest, Integer> index = new LinkedHashMap<>();
        for (LlbVertex vertex : order) {
            index.put(vertex.digest(), index.size());
        }
        ArrayNode steps = buildConfig.putArray("llbDefinition");
        for (LlbVertex vertex : order) {
            Op.Builder op = vertex.op().toBuilder().clearInputs();
            if (op.hasSource()) {
                SourceOp.Builder source = op.getSourceBuilder();
                source.removeAttrs("local.session");
                source.removeAttrs("local.unique");
            }
            ObjectNode step = steps.addObject();
            step.put("id", "step" + index.get(vertex.digest()));
            step.set("op", GoProtoJson.of(op.build()));
            if (!vertex.inputs().isEmpty()) {
                ArrayNode inputs = step.putArray("inputs");
                for (LlbEdge input : vertex.inputs()) {
                    inputs.add("step" + index.get(input.vertex().digest()) + ":" + input.index());
                }
            }
        }
        // the terminal op: no body, one input, the result
        int terminal = index.size();
        ObjectNode last = steps.addObject();
        last.put("id", "step" + terminal);
        last.putObject("op");
        last.putArray("inputs").add("step" + index.get(output.vertex().digest()) + ":" + output.index());
        ObjectNode mapping = buildConfig.putObject("digestMapping");
        Map<String, String> sorted = new TreeMap<>();
        index.forEach((digest, n) -> sorted.put(digest.toString(), "step" + n));
        Digest terminalDigest = terminalDigest(output);
        sorted.put(terminalDigest.toString(), "step" + terminal);
        sorted.forEach(mapping::put);
        Map<Digest, Integer> withTerminal = new LinkedHashMap<>(index);
        withTerminal.put(terminalDigest, terminal);
        return withTerminal;
    }

    private static void walk(LlbVertex vertex, List<LlbVertex> order, java.util.Set<Digest> visited) {
        // iterative post-order: a chain of ten thousand steps must not overflow the stack
        java.util.Deque<Object[]> stack = new java.util.ArrayDeque<>();
        stack.push(new Object[] {vertex, 0});
        visited.add(vertex.digest());
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            LlbVertex current = (LlbVertex) top[0];
            int next = (Integer) top[1];
            if (next < current.inputs().size()) {
                top[1] = next + 1;
                LlbVertex input = current.inputs().get(next).vertex();
                if (visited.add(input.digest())) {
                    stack.push(new Object[] {input, 0});
                }
            } else {
                stack.pop();
                order.add(current);
            }
        }
    }

    private static Digest terminalDigest(LlbEdge output) {
        Op terminal = Op.newBuilder()
                .addInputs(dev.kiln.llb.pb.Input.newBuilder()
                        .setDigest(output.vertex().digest().toString())
                        .setIndex(output.index()))
                .build();
        return Digest.sha256(dev.kiln.llb.Ops.marshal(terminal));
    }

    /** BuildKit's source metadata: each source file with its data and definition, and the step of each location. */
    private static ObjectNode sources(LlbGraph graph, Map<Digest, Integer> steps) {
        ObjectNode source = AttestJson.object();
        ObjectNode locations = source.putObject("locations");
        Map<String, Locations> byStep = new TreeMap<>();
        for (Map.Entry<String, Locations> entry :
                graph.source().getLocationsMap().entrySet()) {
            Integer step = steps.get(Digest.parse(entry.getKey()));
            if (step != null) {
                byStep.put("step" + step, entry.getValue());
            }
        }
        byStep.forEach((step, value) -> locations.set(step, GoProtoJson.of(value)));
        ArrayNode infos = source.putArray("infos");
        for (SourceInfo info : graph.source().getInfosList()) {
            ObjectNode entry = infos.addObject();
            if (!info.getFilename().isEmpty()) {
                entry.put("filename", info.getFilename());
            }
            if (!info.getLanguage().isEmpty()) {
                entry.put("language", info.getLanguage());
            }
            if (!info.getData().isEmpty()) {
                entry.put(
                        "data",
                        java.util.Base64.getEncoder()
                                .encodeToString(info.getData().toByteArray()));
            }
        }
        return source;
    }
}
