package dev.kiln.engine.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.core.Digest;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Container;
import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.ExitException;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Mount;
import dev.kiln.gateway.NewContainerRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.ResolvedImageConfig;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.gateway.StartRequest;
import dev.kiln.gateway.WorkerInfo;
import dev.kiln.llb.ImageOption;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.Definition;
import dev.kiln.llb.pb.NetMode;
import dev.kiln.llb.pb.Platform;
import dev.kiln.llb.pb.SecurityMode;
import dev.kiln.oci.ContainerConfig;
import dev.kiln.oci.ImageConfig;
import dev.kiln.solver.ProgressEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code gateway.v0}: runs a frontend image, as BuildKit's gateway frontend does (frontend/gateway/gateway.go). The
 * image named by the {@code source} option is resolved to its digest and pulled through the worker's image store
 * (so a second build finds it by digest), its root filesystem becomes a writable container, and its entrypoint (else
 * {@code /run}) runs there with the image's environment and working directory plus BuildKit's variables:
 * {@code BUILDKIT_FRONTEND_OPT_<n>=KEY=VALUE} for every option (source included), {@code BUILDKIT_SESSION_ID},
 * {@code BUILDKIT_WORKERS} (Go's JSON) and {@code BUILDKIT_EXPORTEDPRODUCT}. The frontend speaks LLBBridge gRPC on its
 * stdin and stdout to a {@link FrontendBridge} bound to this build (its options and inputs are those of this solve);
 * the result it returns is this solve's. Its stderr is the log of a progress step of its own, where BuildKit sends
 * it to the daemon's stderr.
 *
 * <p>A frontend that exits without a Return, or whose connection breaks (it wrote something other than HTTP/2 on
 * stdout), fails the solve with an error naming the image and its last stderr lines; its container, the
 * containers it made and the bridge's socket are gone when this returns, whichever way it ends.
 */
public final class GatewayFrontend {

    public static final String NAME = "gateway.v0";

    /** The label by which a frontend image asks for no network, as in BuildKit. */
    static final String NETWORK_NONE_LABEL = "moby.buildkit.frontend.network.none";

    /** The label listing the frontend capabilities an image has, as in BuildKit. */
    static final String CAPS_LABEL = "moby.buildkit.frontend.caps";

    private static final String INPUTS_CAP = "moby.buildkit.frontend.inputs";

    /** How long a frontend that returned may take to exit before its container is released under it. */
    private static final Duration EXIT_GRACE = Duration.ofSeconds(10);

    /** How much of the frontend's stderr an error quotes. */
    private static final int ERROR_TAIL = 2048;

    private static final ObjectMapper JSON = new ObjectMapper();

    private GatewayFrontend() {}

    /**
     * Runs the frontend image that {@code client}'s {@code source} option names, against {@code client} (whose options
     * and inputs are the solve's).
     */
    static Result run(BuildContext build, Client client, Map<String, Definition> inputs) throws InterruptedException {
        Map<String, String> opts = client.buildOpts().opts();
        String source = opts.get("source");
        if (source == null || source.isEmpty()) {
            throw new GatewayException("no source specified for gateway");
        }
        FrontendBridge bridge = build.frontends()
                .bridge()
                .orElseThrow(() -> new GatewayException("cannot run frontend image " + source
                        + ": this engine has no LLBBridge server (kiln-daemon is not on its class path)"));
        ResolvedImageConfig resolved = client.resolveImageConfig(
                source, new ResolveImageConfigOpt(null, "", "", ResolveImageConfigOpt.ImageStore.REGISTRY));
        ContainerConfig config = config(source, resolved);
        checkCaps(source, config, opts, inputs);
        Reference rootfs = client.solve(SolveRequest.of(State.image(
                                        resolved.ref(),
                                        new ImageOption.RecordType("frontend"),
                                        OpOption.customName("[frontend] load " + source))
                                .marshal())
                        .withEvaluate(true))
                .ref()
                .orElseThrow(() -> new GatewayException("frontend image " + source + " has no filesystem"));
        FrontendStep step = new FrontendStep(build, "[frontend] " + source);
        try {
            Result result = runContainer(bridge, client, source, config, rootfs, step);
            step.completed();
            return result;
        } catch (InterruptedException | RuntimeException e) {
            step.failed(e instanceof InterruptedException ? ProgressEvent.CANCELLED : e.getMessage());
            throw e;
        }
    }

    private static Result runContainer(
            FrontendBridge bridge,
            Client client,
            String source,
            ContainerConfig config,
            Reference rootfs,
            FrontendStep step)
            throws InterruptedException {
        List<String> args = config.entrypoint().isEmpty() ? List.of("/run") : config.entrypoint();
        NetMode network = Boolean.parseBoolean(config.labels().getOrDefault(NETWORK_NONE_LABEL, "false"))
                ? NetMode.NONE
                : NetMode.UNSET;
        FrontendBridge.Connection connection;
        try {
            connection = bridge.open(client, source);
        } catch (IOException e) {
            throw new GatewayException("frontend " + source + ": cannot serve its gateway: " + e.getMessage(), e);
        }
        try (connection;
                Container container = client.newContainer(new NewContainerRequest(
                        List.of(Mount.bind("/", rootfs, false)), network, List.of(), null, null, ""))) {
            long started = System.nanoTime();
            ContainerProcess process;
            try {
                process = container.start(new StartRequest(
                        args,
                        environment(config, client),
                        "",
                        config.workingDir().isEmpty() ? "/" : config.workingDir(),
                        false,
                        connection.toFrontend(),
                        connection.fromFrontend(),
                        step,
                        SecurityMode.SANDBOX));
            } catch (GatewayException e) {
                throw new GatewayException("frontend image " + source + " cannot start: " + e.getMessage(), e);
            }
            Exit exit = new Exit();
            Thread.ofVirtual().name("kiln-frontend-wait").start(() -> exit.await(process));
            Result result;
            try {
                result = connection.awaitResult(exit::ended);
            } catch (GatewayException e) {
                throw failure(source, e, exit, connection, step);
            }
            if (connection.firstCallNanos() != 0) {
                step.note("first gateway call "
                        + TimeUnit.NANOSECONDS.toMillis(connection.firstCallNanos() - started)
                        + " ms after the frontend started");
            }
            // as in BuildKit, the frontend's process ends the solve; one that lingers after its Return is stopped
            exit.await(EXIT_GRACE);
            return result;
        }
    }

    /**
     * The error of a frontend that did not return a result: what it returned, or why it could not, with the tail of
     * its stderr.
     */
    private static GatewayException failure(
            String source,
            GatewayException returned,
            Exit exit,
            FrontendBridge.Connection connection,
            FrontendStep step)
            throws InterruptedException {
        if (!exit.ended() && !connection.ended()) {
            // the frontend's own error, from its Return
            return returned;
        }
        // an error Return may still be on its way when the process ends: prefer it
        exit.await(Duration.ofSeconds(1));
        String why;
        if (!exit.ended()) {
            why = "broke its gRPC connection before returning a result (did it write something else on stdout?)";
        } else if (exit.code() != null && exit.code() != 0) {
            why = "exited with code " + exit.code() + " before returning a result";
        } else if (connection.firstCallNanos() == 0) {
            why = "ended without calling the gateway (is it a frontend image? a frontend speaks gRPC on stdin and "
                    + "stdout)";
        } else {
            why = "ended without returning a result";
        }
        String tail = step.tail();
        return new GatewayException(
                "frontend image " + source + " " + why + (tail.isEmpty() ? "" : "; its last output:\n" + tail),
                returned);
    }

    /** The image's config, which says how to run it. */
    private static ContainerConfig config(String source, ResolvedImageConfig resolved) {
        try {
            return ImageConfig.parse(resolved.config()).config();
        } catch (RuntimeException e) {
            throw new GatewayException("frontend image " + source + " has an unreadable config: " + e.getMessage(), e);
        }
    }

    /**
     * The frontend capabilities the build asks for ({@code frontend.caps}, and inputs when it passes any) must be
     * among those the image's label lists, as BuildKit checks them.
     */
    private static void checkCaps(
            String source, ContainerConfig config, Map<String, String> opts, Map<String, Definition> inputs) {
        Set<String> has = capList(config.labels().getOrDefault(CAPS_LABEL, ""));
        Set<String> wanted = capList(opts.getOrDefault("frontend.caps", ""));
        if (!inputs.isEmpty()) {
            wanted.add(INPUTS_CAP);
        }
        wanted.removeAll(has);
        if (!wanted.isEmpty()) {
            throw new GatewayException("frontend image " + source + " does not support " + String.join(", ", wanted)
                    + " (its label " + CAPS_LABEL + " lists " + (has.isEmpty() ? "none" : String.join(",", has))
                    + ")");
        }
    }

    /** Caps as BuildKit lists them: comma-separated, each maybe with a {@code +suffix} that does not count. */
    private static Set<String> capList(String text) {
        Set<String> caps = new HashSet<>();
        for (String cap : text.split(",")) {
            String name = cap.strip();
            int plus = name.indexOf('+');
            name = plus < 0 ? name : name.substring(0, plus);
            if (!name.isEmpty()) {
                caps.add(name);
            }
        }
        return caps;
    }

    /** The image's environment, then BuildKit's variables for the frontend. */
    private static List<String> environment(ContainerConfig config, Client client) {
        List<String> env = new ArrayList<>(config.env());
        int i = 0;
        for (Map.Entry<String, String> opt : new TreeMap<>(client.buildOpts().opts()).entrySet()) {
            env.add("BUILDKIT_FRONTEND_OPT_" + i++ + "=" + opt.getKey() + "=" + opt.getValue());
        }
        env.add("BUILDKIT_SESSION_ID=" + client.buildOpts().sessionId());
        env.add("BUILDKIT_WORKERS=" + workers(client.buildOpts().workers()));
        env.add("BUILDKIT_EXPORTEDPRODUCT=" + client.buildOpts().product());
        return env;
    }

    /** Go's []client.WorkerInfo as encoding/json writes it. */
    static String workers(List<WorkerInfo> workers) {
        ArrayNode list = JSON.createArrayNode();
        for (WorkerInfo worker : workers) {
            ObjectNode node = list.addObject();
            node.put("ID", worker.id());
            ObjectNode labels = node.putObject("Labels");
            new TreeMap<>(worker.labels()).forEach(labels::put);
            ArrayNode platforms = node.putArray("Platforms");
            for (Platform platform : worker.platforms()) {
                ObjectNode p = platforms.addObject();
                p.put("architecture", platform.getArchitecture());
                p.put("os", platform.getOS());
                if (!platform.getOSVersion().isEmpty()) {
                    p.put("os.version", platform.getOSVersion());
                }
                if (platform.getOSFeaturesCount() > 0) {
                    ArrayNode features = p.putArray("os.features");
                    platform.getOSFeaturesList().forEach(features::add);
                }
                if (!platform.getVariant().isEmpty()) {
                    p.put("variant", platform.getVariant());
                }
            }
            node.putObject("BuildkitVersion");
        }
        try {
            return JSON.writeValueAsString(list);
        } catch (IOException e) {
            throw new IllegalStateException("an in-memory JSON tree always serialises", e);
        }
    }

    /** How the frontend's process ended, once it has. */
    private static final class Exit {
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile Integer code;

        void await(ContainerProcess process) {
            try {
                process.waitFor();
                code = 0;
            } catch (ExitException e) {
                code = e.exitCode();
            } catch (GatewayException e) {
                code = null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                done.countDown();
            }
        }

        boolean ended() {
            return done.getCount() == 0;
        }

        void await(Duration timeout) throws InterruptedException {
            done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        Integer code() {
            return code;
        }
    }

    /**
     * The frontend's progress step: started, its stderr as log lines, completed or failed. It keeps the last of the
     * stderr for an error message.
     */
    private static final class FrontendStep extends OutputStream {
        private final BuildContext build;
        private final String digest;
        private final String name;
        private final Instant started = Instant.now();
        private final ByteArrayOutputStream tail = new ByteArrayOutputStream();

        FrontendStep(BuildContext build, String name) {
            this.build = build;
            this.name = name;
            this.digest = Digest.sha256(
                            ("kiln frontend " + name + " " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8))
                    .toString();
            emit(new ProgressEvent.VertexStarted(digest, name, started));
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] data, int offset, int length) {
            if (length == 0) {
                return;
            }
            byte[] copy = java.util.Arrays.copyOfRange(data, offset, offset + length);
            emit(new ProgressEvent.VertexLog(digest, name, Instant.now(), 2, copy));
            tail.write(copy, 0, copy.length);
            if (tail.size() > 2 * ERROR_TAIL) {
                byte[] all = tail.toByteArray();
                tail.reset();
                tail.write(all, all.length - ERROR_TAIL, ERROR_TAIL);
            }
        }

        synchronized void note(String line) {
            emit(new ProgressEvent.VertexLog(
                    digest, name, Instant.now(), 2, ("[kiln] " + line + "\n").getBytes(StandardCharsets.UTF_8)));
        }

        synchronized String tail() {
            byte[] all = tail.toByteArray();
            int from = Math.max(0, all.length - ERROR_TAIL);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8).strip();
        }

        void completed() {
            Instant now = Instant.now();
            emit(new ProgressEvent.VertexCompleted(digest, name, now, Duration.between(started, now)));
        }

        void failed(String message) {
            emit(new ProgressEvent.VertexFailed(digest, name, Instant.now(), message));
        }

        private void emit(ProgressEvent event) {
            try {
                build.progress().onEvent(event);
            } catch (RuntimeException ignored) {
                // a broken display must not break the build
            }
        }
    }
}
