package dev.kiln.gateway.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.api.http2.Http2Channel;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Frontend;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.WorkerInfo;
import dev.kiln.llb.pb.Platform;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The entry point of a frontend image: runs a {@link BuildFunction} against the engine that started this process,
 * over gRPC on stdin and stdout, as BuildKit runs frontend containers (and Kiln does too). The engine passes the
 * build's facts in the environment: {@code BUILDKIT_FRONTEND_OPT_<n>=KEY=VALUE} for each frontend option,
 * {@code BUILDKIT_SESSION_ID}, {@code BUILDKIT_WORKERS} (JSON) and {@code BUILDKIT_EXPORTEDPRODUCT}.
 *
 * <p>The function is a class with a public no-argument constructor implementing {@link BuildFunction} or
 * {@link Frontend}, named by the first argument or else by {@value #CLASS_ENV}. Since stdout carries the gRPC
 * stream, {@code System.out} is sent to stderr, which the engine shows as the frontend's log. The process ends with
 * status 0 when the function's result was returned, 1 when the function failed (the engine has its error then), 2
 * when the engine could not be told anything.
 *
 * <p>With {@value #TRAINING_ENV}{@code =1} in the environment there is no engine: the process does what a start does
 * (sends Ping, loads the function, reads the facts), then finds its engine gone and ends with status 2, the same way
 * every time, so that the classes it loaded are the same on every run. {@code kiln frontend-image} trains the
 * image's class data sharing archive so.
 */
public final class StdioFrontend {

    /** The environment variable naming the function's class when no argument does. */
    public static final String CLASS_ENV = "KILN_FRONTEND_CLASS";

    /** The environment variable that makes a run the training run of an image's class archive. */
    public static final String TRAINING_ENV = "KILN_FRONTEND_TRAINING";

    /** The largest message taken from the engine: Go's frontends allow 16 MiB. */
    static final int MAX_MESSAGE = 16 << 20;

    private static final String OPT_PREFIX = "BUILDKIT_FRONTEND_OPT_";

    private StdioFrontend() {}

    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        // stdout is the engine's connection: nothing else may write to it
        OutputStream toEngine = new FileOutputStream(FileDescriptor.out);
        InputStream fromEngine = new FileInputStream(FileDescriptor.in);
        System.setOut(System.err);
        if ("1".equals(env.get(TRAINING_ENV))) {
            HangUp engine = new HangUp();
            System.exit(run(args, env, engine, OutputStream.nullOutputStream(), System.err, engine::hangUp));
        }
        System.exit(run(args, env, fromEngine, toEngine, System.err, () -> {}));
    }

    /**
     * Runs the named function against the engine at the other end of {@code in} and {@code out}. Ping goes out
     * first: the engine hears from the frontend as soon as its JVM runs, and the function's classes load, and the
     * facts are read, while the engine answers.
     */
    public static int run(String[] args, Map<String, String> env, InputStream in, OutputStream out, PrintStream log) {
        return run(args, env, in, out, log, () -> {});
    }

    /** As {@link #run(String[], Map, InputStream, OutputStream, PrintStream)}; {@code started} runs before Pong. */
    private static int run(
            String[] args,
            Map<String, String> env,
            InputStream in,
            OutputStream out,
            PrintStream log,
            Runnable started) {
        Http2Channel channel = Http2Channel.streams("the engine on stdin and stdout", in, out, MAX_MESSAGE);
        try {
            LlbBridgeClient.Pinged ping = LlbBridgeClient.ping(channel);
            String className = args.length > 0 ? args[0] : env.getOrDefault(CLASS_ENV, "");
            BuildFunction function;
            try {
                function = load(className);
            } catch (GatewayException e) {
                // still connect: the engine then fails the build with this message instead of a vanished frontend
                function = client -> {
                    throw e;
                };
            }
            BuildFacts facts = facts(env);
            started.run();
            LlbBridgeClient client = LlbBridgeClient.connect(channel, ping, facts);
            Optional<Throwable> failure = client.run(function);
            failure.ifPresent(e ->
                    log.println("frontend: " + LlbBridgeClient.errorStatus(e).getMessage()));
            return failure.isPresent() ? 1 : 0;
        } catch (GatewayException | InterruptedException e) {
            log.println("frontend: " + LlbBridgeClient.errorStatus(e).getMessage());
            return 2;
        } finally {
            channel.shutdown();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The training run's engine: it sends nothing, and hangs up only once the frontend has started, so that a
     * training run never races its engine's end (which would load other classes on other runs).
     */
    private static final class HangUp extends InputStream {
        private final java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);

        void hangUp() {
            started.countDown();
        }

        @Override
        public int read() throws IOException {
            return read(new byte[1], 0, 1);
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            try {
                started.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("the training run was interrupted");
            }
            return -1;
        }
    }

    /** The build's facts as BuildKit puts them in a frontend container's environment. */
    public static BuildFacts facts(Map<String, String> env) {
        Map<String, String> opts = new TreeMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(OPT_PREFIX)) {
                int eq = value.indexOf('=');
                if (eq < 0) {
                    opts.put(value, "");
                } else {
                    opts.put(value.substring(0, eq), value.substring(eq + 1));
                }
            }
        });
        return new BuildFacts(
                opts,
                env.getOrDefault("BUILDKIT_SESSION_ID", ""),
                env.getOrDefault("BUILDKIT_EXPORTEDPRODUCT", ""),
                workers(env.getOrDefault("BUILDKIT_WORKERS", "")));
    }

    /**
     * Go's []client.WorkerInfo as JSON: {@code [{"ID":..,"Labels":{..},"Platforms":[{"architecture":..,"os":..}]}]}.
     * Unreadable JSON counts as none, as in Go's client; the engine's Pong lists them then.
     */
    static List<WorkerInfo> workers(String json) {
        if (json.isBlank()) {
            return List.of();
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            return List.of();
        }
        List<WorkerInfo> workers = new ArrayList<>();
        for (JsonNode worker : root) {
            Map<String, String> labels = new TreeMap<>();
            worker.path("Labels")
                    .properties()
                    .forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
            List<Platform> platforms = new ArrayList<>();
            for (JsonNode p : worker.path("Platforms")) {
                Platform.Builder platform = Platform.newBuilder()
                        .setOS(p.path("os").asText())
                        .setArchitecture(p.path("architecture").asText())
                        .setVariant(p.path("variant").asText())
                        .setOSVersion(p.path("os.version").asText());
                p.path("os.features").forEach(f -> platform.addOSFeatures(f.asText()));
                platforms.add(platform.build());
            }
            workers.add(new WorkerInfo(worker.path("ID").asText(), labels, platforms));
        }
        return workers;
    }

    /** The function {@code className} names: a BuildFunction, or a Frontend whose function it is. */
    static BuildFunction load(String className) {
        if (className.isEmpty()) {
            throw new GatewayException("no frontend class: name one as the first argument or in " + CLASS_ENV);
        }
        Object instance;
        try {
            Class<?> type = Class.forName(className, true, StdioFrontend.class.getClassLoader());
            instance = type.getConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new GatewayException("frontend class " + className + " is not on the class path");
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new GatewayException(
                    "cannot make frontend " + className + " (it needs a public no-argument constructor): " + e);
        }
        // not a pattern switch: its first run generates a class with the ClassFile API, which costs a frontend's
        // start milliseconds
        if (instance instanceof BuildFunction function) {
            return function;
        }
        if (instance instanceof Frontend frontend) {
            return frontend.function();
        }
        throw new GatewayException("frontend class " + className + " is neither a BuildFunction nor a Frontend");
    }
}
