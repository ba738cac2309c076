package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.ListWorkersRequest;
import dev.kiln.api.control.StatusRequest;
import dev.kiln.api.control.StatusResponse;
import dev.kiln.api.control.VertexWarning;
import dev.kiln.api.http2.Http2Channel;
import dev.kiln.core.ImageReference;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.grpc.ForwardedFrontend;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same Java frontend as {@link GatewayClientTest}, forwarded to BuildKit's own buildkitd (v0.24.0 here): the
 * gRPC client must speak LLBBridge as BuildKit serves it, containers and processes included, which Kiln's daemon
 * does not run yet. Needs {@code buildkitd} and {@code buildctl} on PATH and root (buildkitd runs runc); skipped
 * otherwise. buildkitd gets a state directory of its own and a socket in a fresh directory, and is stopped after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayClientBuildkitTest {

    Path tmp;
    Path socketDir;
    BusyboxRegistry images;
    ImageReference busybox;
    Process buildkitd;
    String address;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        assumeTrue(
                onPath("buildkitd") && onPath("buildctl"),
                "buildkitd and buildctl are not on PATH: the test against BuildKit needs them");
        assumeTrue("root".equals(System.getProperty("user.name")), "buildkitd runs its OCI worker as root only here");
        tmp = dir;
        images = BusyboxRegistry.start(tmp);
        busybox = images.busybox();
        // a unix socket path must stay short: not under the test's deep temporary directory
        socketDir = Files.createTempDirectory(Path.of("/tmp"), "kiln-bk");
        Path socket = socketDir.resolve("buildkitd.sock");
        Path config = tmp.resolve("buildkitd.toml");
        Files.writeString(config, """
                [worker.oci]
                  enabled = true
                [worker.containerd]
                  enabled = false
                [registry."%s"]
                  http = true
                  insecure = true
                """.formatted(images.registry().host()));
        buildkitd = new ProcessBuilder(
                        "buildkitd",
                        "--root",
                        tmp.resolve("buildkit-root").toString(),
                        "--addr",
                        "unix://" + socket,
                        "--config",
                        config.toString(),
                        "--oci-worker-binary",
                        "runc",
                        "--oci-worker-net",
                        "host",
                        "--containerd-worker",
                        "false")
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("buildkitd.log").toFile())
                .start();
        address = "unix://" + socket;
        awaitReady(socket);
    }

    private void awaitReady(Path socket) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!buildkitd.isAlive()) {
                throw new IllegalStateException("buildkitd ended: " + log());
            }
            if (Files.exists(socket)) {
                Http2Channel channel = Http2Channel.unix(socket, 16 << 20);
                try {
                    ControlGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(5, TimeUnit.SECONDS)
                            .listWorkers(ListWorkersRequest.getDefaultInstance());
                    return;
                } catch (RuntimeException notYet) {
                    // the worker is still starting
                } finally {
                    channel.shutdownNow();
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("buildkitd did not answer within 60 s: " + log());
            }
            Thread.sleep(100);
        }
    }

    private String log() throws IOException {
        return Files.readString(tmp.resolve("buildkitd.log"));
    }

    @AfterAll
    void stop() throws Exception {
        if (buildkitd != null) {
            buildkitd.destroy();
            if (!buildkitd.waitFor(30, TimeUnit.SECONDS)) {
                buildkitd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (socketDir != null) {
            Files.deleteIfExists(socketDir.resolve("buildkitd.sock"));
            Files.deleteIfExists(socketDir);
        }
        if (images != null) {
            images.close();
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /** The warnings buildkitd reports for build {@code ref} on Control.Status, collected until the build ends. */
    private List<String> warnings(String ref, Thread[] collector) {
        List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        collector[0] = Thread.ofVirtual().start(() -> {
            Http2Channel channel = Http2Channel.unix(Path.of(address.substring("unix://".length())), 64 << 20);
            try {
                var statuses = ControlGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(300, TimeUnit.SECONDS)
                        .status(StatusRequest.newBuilder().setRef(ref).build());
                while (statuses.hasNext()) {
                    StatusResponse status = statuses.next();
                    for (VertexWarning warning : status.getWarningsList()) {
                        warnings.add(warning.getShort().toString(StandardCharsets.UTF_8));
                    }
                }
            } catch (RuntimeException e) {
                // the stream ends with the build
            } finally {
                channel.shutdownNow();
            }
        });
        return warnings;
    }

    @Test
    void aJavaFrontendRunsUnderBuildkitWithContainersADockerfileAndWarnings() throws Exception {
        Path out = tmp.resolve("bk-out");
        Path context = GatewayClientTest.dockerContext(tmp.resolve("bk-context"));
        String ref = "javafrontend" + System.nanoTime();
        Thread[] collector = new Thread[1];
        List<String> warnings = warnings(ref, collector);

        ForwardedFrontend.run(
                address,
                new ProbeFrontend(),
                GatewayClientTest.exportTo(
                        out,
                        ForwardedFrontend.Options.defaults()
                                .withRef(ref)
                                .withFrontendAttrs(Map.of(
                                        "base",
                                        busybox.toString(),
                                        "greeting",
                                        "hello",
                                        "dockerfile",
                                        "1",
                                        "container",
                                        "1"))
                                .withFrontendInputs(Map.of(
                                        "tools",
                                        dev.kiln.llb.State.image(busybox.toString())
                                                .marshal()))
                                .withLocals(Map.of("context", context, "dockerfile", context))));

        assertThat(GatewayClientTest.report(out))
                .containsEntry("opts.greeting", "hello")
                .containsEntry("inputs", "tools")
                .containsEntry("inputs.tools.sh", "true")
                .containsEntry("caps.solve.base", "true")
                .containsEntry("workers", "1")
                .containsEntry("config.linux", "true")
                .containsEntry("read", "built-by-probe")
                .containsEntry("stat.size", "15")
                .containsEntry("stat.regular", "true")
                .containsEntry("readdir", "link->out.txt,out.txt")
                .containsEntry("again", "built-by-probe")
                .containsEntry("dockerfile.read", "from-dockerfile")
                .containsEntry("exec.exit", "3")
                .containsEntry("exec.stdout", "built-by-probe|got:hello")
                .containsEntry("exec.stderr", "oops")
                .containsEntry("tty.size", "33 77")
                .containsEntry("signal.exit", "0")
                .containsEntry("signal.stdout", "ready|trapped");
        collector[0].join(TimeUnit.SECONDS.toMillis(30));
        assertThat(warnings).contains("the probe was here");
    }

    @Test
    void aFailingJavaFrontendFailsTheBuildkitBuildWithItsMessage() {
        assertThatThrownBy(() -> ForwardedFrontend.run(
                        address,
                        new ProbeFrontend(),
                        ForwardedFrontend.Options.defaults()
                                .withFrontendAttrs(Map.of(
                                        "base",
                                        busybox.toString(),
                                        "fail",
                                        "Probefile:3: unknown instruction: FOOBAR"))))
                .isInstanceOf(GatewayException.class)
                .hasMessageContaining("Probefile:3: unknown instruction: FOOBAR");
    }

    @Test
    void aFailingStepFailsTheBuildkitBuildWithTheStepsError() {
        assertThatThrownBy(() -> ForwardedFrontend.run(
                        address,
                        new ProbeFrontend(),
                        ForwardedFrontend.Options.defaults()
                                .withFrontendAttrs(Map.of("base", busybox.toString(), "failing-step", "1"))))
                .isInstanceOf(GatewayException.class)
                .hasMessageContaining("exit code: 5");
    }
}
