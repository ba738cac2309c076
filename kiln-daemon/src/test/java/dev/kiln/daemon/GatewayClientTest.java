package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.control.Exporter;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.session.FileSendService;
import dev.kiln.api.session.FileTarget;
import dev.kiln.api.session.SessionTunnel;
import dev.kiln.gateway.grpc.ForwardedFrontend;
import dev.kiln.gateway.grpc.StdioFrontend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Java frontends on the gateway's gRPC form against a real daemon: {@link ForwardedFrontend} the way buildctl runs
 * its frontends, and {@link StdioFrontend} in a child JVM whose stdin and stdout carry the gateway, as a frontend
 * container's do. What the frontend saw comes back in the files the build exports. Containers are tested against
 * buildkitd ({@link GatewayClientBuildkitTest}) until this daemon runs them.
 */
class GatewayClientTest extends DaemonWithBusybox implements ProbeFailures {

    String address;

    @BeforeAll
    void address() {
        address = "unix://" + daemon.socket;
    }

    /** A context directory with a Dockerfile that the probe solves through dockerfile.v0. */
    static Path dockerContext(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("Dockerfile"), "ARG BASE\nFROM $BASE\nRUN echo from-dockerfile > /df.txt\n");
        return dir;
    }

    static Map<String, String> report(Path out) throws IOException {
        Map<String, String> report = new java.util.TreeMap<>();
        for (String line : Files.readAllLines(out.resolve("report.txt"))) {
            int eq = line.indexOf('=');
            report.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return report;
    }

    static ForwardedFrontend.Options exportTo(Path out, ForwardedFrontend.Options options) {
        return options.withExporters(
                        List.of(Exporter.newBuilder().setType("local").build()))
                .withSessionServices(List.of(new FileSendService(Map.of(0, new FileTarget.ToDirectory(out)))));
    }

    @Test
    void aFailedRunStepReachesAForwardedFrontendAsASolveErrorItCanOpenAContainerOn() throws Exception {
        Path out = tmp.resolve("debug-out");
        java.io.ByteArrayOutputStream shell = new java.io.ByteArrayOutputStream();
        dev.kiln.gateway.BuildFunction debugger = client -> {
            dev.kiln.llb.State failing = dev.kiln.llb.State.image(busybox.toString())
                    .run(dev.kiln.llb.RunOption.sh("echo left behind > /marker; exit 7"))
                    .root();
            try {
                client.solve(dev.kiln.gateway.SolveRequest.of(failing.marshal()).withEvaluate(true));
                throw new AssertionError("the solve should have failed");
            } catch (dev.kiln.gateway.SolveError failed) {
                assertThat(failed.getMessage()).contains("exit code: 7");
                assertThat(failed.exec().orElseThrow().getMeta().getArgsList())
                        .last()
                        .asString()
                        .contains("exit 7");
                dev.kiln.gateway.Reference root = failed.mounts().getFirst();
                try (dev.kiln.gateway.Container container = client.newContainer(dev.kiln.gateway.NewContainerRequest.of(
                        List.of(dev.kiln.gateway.Mount.bind("/", root, false))))) {
                    container
                            .start(new dev.kiln.gateway.StartRequest(
                                    List.of("cat", "/marker"),
                                    List.of("PATH=/bin"),
                                    "",
                                    "/",
                                    false,
                                    null,
                                    shell,
                                    shell,
                                    dev.kiln.llb.pb.SecurityMode.SANDBOX))
                            .waitFor();
                }
                return dev.kiln.gateway.Result.empty();
            }
        };

        ForwardedFrontend.run(address, debugger, exportTo(out, ForwardedFrontend.Options.defaults()));

        assertThat(shell.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("left behind\n");
    }

    @Test
    void aForwardedJavaFrontendSolvesReadsRunsADockerfileAndReturnsItsResult() throws Exception {
        Path out = tmp.resolve("forwarded-out");
        Path context = dockerContext(tmp.resolve("forwarded-context"));
        String ref = "java-forwarded-" + System.nanoTime();

        SolveResponse response = ForwardedFrontend.run(
                address,
                new ProbeFrontend(),
                exportTo(
                        out,
                        ForwardedFrontend.Options.defaults()
                                .withRef(ref)
                                .withFrontendAttrs(
                                        Map.of("base", busybox.toString(), "greeting", "hello", "dockerfile", "1"))
                                .withLocals(Map.of("context", context, "dockerfile", context))));

        assertThat(response).isNotNull();
        assertThat(report(out))
                .containsEntry("opts.greeting", "hello")
                // Kiln's daemon refuses a forwarded Solve with frontend inputs for now; buildkitd's test passes some
                .containsEntry("inputs", "")
                .containsAllEntriesOf(ProbeFrontend.SOLVED_AND_READ);
        // the probe's warning was taken (a failed Warn would have failed the build); Kiln's daemon keeps gateway
        // warnings with the build's result but does not send them on Control.Status yet, so they are not asserted
    }

    @Override
    public Engine probeEngine() {
        return new Engine(address, busybox, "did not complete successfully: exit code: 5");
    }

    /**
     * The frontend-image entry point, in a JVM of its own whose stdin and stdout are the gateway: the facts arrive
     * in BUILDKIT_* variables, the calls go to the daemon's gateway for a forwarded build (through {@link
     * BridgeRelay}, which adds the build id a stdio frontend never sends), and the result is exported.
     */
    @Test
    void theStdioEntryPointRunsAFrontendInItsOwnProcessOnStdinAndStdout() throws Exception {
        Path out = tmp.resolve("stdio-out");
        String ref = "java-stdio-" + System.nanoTime();
        String sessionId = UUID.randomUUID().toString();
        SessionTunnel session = daemon.exportSession(sessionId, Map.of(0, new FileTarget.ToDirectory(out)));
        CompletableFuture<SolveResponse> solve = CompletableFuture.supplyAsync(() -> daemon.control()
                .withDeadlineAfter(180, TimeUnit.SECONDS)
                .solve(SolveRequest.newBuilder()
                        .setRef(ref)
                        .setSession(sessionId)
                        .addExporters(Exporter.newBuilder().setType("local"))
                        .build()));
        Path relaySocket = tmp.resolve("relay-" + System.nanoTime() + ".sock");
        Path stderr = tmp.resolve("stdio-frontend.log");
        try (BridgeRelay relay = new BridgeRelay(relaySocket, daemon.channel, ref)) {
            String java = ProcessHandle.current()
                    .info()
                    .command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                            .toString());
            ProcessBuilder child = new ProcessBuilder(
                            java,
                            "-cp",
                            System.getProperty("java.class.path"),
                            StdioFrontend.class.getName(),
                            ProbeFrontend.class.getName())
                    .redirectError(stderr.toFile());
            child.environment().put("BUILDKIT_FRONTEND_OPT_0", "base=" + busybox);
            child.environment().put("BUILDKIT_FRONTEND_OPT_1", "greeting=from=the=environment");
            child.environment().put("BUILDKIT_SESSION_ID", sessionId);
            child.environment()
                    .put(
                            "BUILDKIT_WORKERS",
                            "[{\"ID\":\"w1\",\"Labels\":{\"a\":\"b\"},\"Platforms\":[{\"architecture\":\"amd64\",\"os\":\"linux\"}]},"
                                    + "{\"ID\":\"w2\",\"Labels\":null,\"Platforms\":[]}]");
            child.environment().put("BUILDKIT_EXPORTEDPRODUCT", "kiln-test");
            Process frontend = child.start();
            SocketChannel engine = SocketChannel.open(UnixDomainSocketAddress.of(relaySocket));
            pump(frontend.getInputStream(), Channels.newOutputStream(engine));
            pump(Channels.newInputStream(engine), frontend.getOutputStream());

            assertThat(frontend.waitFor(180, TimeUnit.SECONDS)).isTrue();
            assertThat(frontend.exitValue())
                    .as("exit status; its log: %s", Files.readString(stderr))
                    .isZero();
            engine.close();
        }
        solve.get(180, TimeUnit.SECONDS);
        session.close();
        assertThat(report(out))
                .containsEntry("opts.greeting", "from=the=environment")
                .containsEntry("inputs", "")
                .containsEntry("workers", "2")
                .containsEntry("read", "built-by-probe")
                .containsEntry("readdir", "link->out.txt,out.txt")
                .containsEntry("again", "built-by-probe");
    }

    @Test
    void theStdioEntryPointReturnsAFailureAndEndsWithStatusOne() throws Exception {
        String ref = "java-stdio-fail-" + System.nanoTime();
        CompletableFuture<SolveResponse> solve = CompletableFuture.supplyAsync(() -> daemon.control()
                .withDeadlineAfter(180, TimeUnit.SECONDS)
                .solve(SolveRequest.newBuilder().setRef(ref).build()));
        Path relaySocket = tmp.resolve("relay-" + System.nanoTime() + ".sock");
        try (BridgeRelay relay = new BridgeRelay(relaySocket, daemon.channel, ref)) {
            ProcessBuilder child = new ProcessBuilder(
                            ProcessHandle.current().info().command().orElseThrow(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            StdioFrontend.class.getName(),
                            "no.such.Frontend")
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            Process frontend = child.start();
            SocketChannel engine = SocketChannel.open(UnixDomainSocketAddress.of(relaySocket));
            pump(frontend.getInputStream(), Channels.newOutputStream(engine));
            pump(Channels.newInputStream(engine), frontend.getOutputStream());
            assertThat(frontend.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(frontend.exitValue()).isEqualTo(1);
            engine.close();
        }
        assertThatThrownBy(() -> solve.get(60, TimeUnit.SECONDS))
                .rootCause()
                .hasMessageContaining("frontend class no.such.Frontend is not on the class path");
    }

    /** Copies {@code in} to {@code out} on a virtual thread, closing {@code out} at the end. */
    static void pump(InputStream in, OutputStream out) {
        Thread.ofVirtual().start(() -> {
            try (out) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side ended
            }
        });
    }
}
