package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kiln's frontend image under BuildKit's own buildkitd (v0.24.0 here): buildctl's {@code --frontend gateway.v0 --opt
 * source=IMAGE} and a Dockerfile's {@code # syntax=IMAGE} (which BuildKit's Dockerfile frontend forwards, as docker
 * buildx builds do) build multi-stage Dockerfiles with build arguments, heredocs and RUN mounts. Needs
 * {@code buildkitd} and {@code buildctl} on PATH and root; skipped otherwise (never in CI).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FrontendImageBuildkitTest {

    KilnFrontendImage image;
    Path tmp;
    Path socketDir;
    Process buildkitd;
    String address;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        assumeTrue(
                onPath("buildkitd") && onPath("buildctl"),
                "buildkitd and buildctl are not on PATH: the test against BuildKit needs them");
        assumeTrue("root".equals(System.getProperty("user.name")), "buildkitd runs its OCI worker as root only here");
        tmp = dir;
        image = KilnFrontendImage.get();
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
                """.formatted(image.registry().host()));
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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (buildctl("debug", "workers").exitCode() != 0) {
            if (!buildkitd.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("buildkitd did not start: " + log());
            }
            Thread.sleep(200);
        }
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
    }

    private String log() throws IOException {
        return Files.readString(tmp.resolve("buildkitd.log"));
    }

    private record Run(int exitCode, String output) {}

    private Run buildctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("buildctl", "--addr", address));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(process.waitFor(), output);
    }

    private Path context(String name, String syntaxLine) throws IOException {
        Path context = Files.createDirectories(tmp.resolve(name));
        Files.writeString(context.resolve("Dockerfile"), syntaxLine + """
                FROM %1$s AS build
                ARG GREETING=hello
                RUN --mount=type=cache,target=/cache echo "$GREETING" > /cache/g && cp /cache/g /greeting
                COPY <<EOF /heredoc.txt
                made by a heredoc
                EOF

                FROM %1$s
                COPY --from=build /greeting /heredoc.txt /out/
                RUN --mount=type=bind,from=build,source=/greeting,target=/g cat /g /g > /out/bound
                """.formatted(image.busybox()));
        return context;
    }

    private static void assertBuilt(Path out) throws IOException {
        assertThat(out.resolve("out/greeting")).hasContent("bonjour");
        assertThat(out.resolve("out/heredoc.txt")).hasContent("made by a heredoc");
        assertThat(out.resolve("out/bound")).hasContent("bonjour\nbonjour");
    }

    @Test
    void buildctlRunsKilnsFrontendImageAsTheGatewaySource() throws Exception {
        Path context = context("gateway", "");
        Path out = tmp.resolve("gateway-out");

        Run run = buildctl(
                "build",
                "--frontend",
                "gateway.v0",
                "--opt",
                "source=" + image.frontend(),
                "--opt",
                "build-arg:GREETING=bonjour",
                "--local",
                "context=" + context,
                "--local",
                "dockerfile=" + context,
                "--output",
                "type=local,dest=" + out);

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertBuilt(out);
    }

    @Test
    void buildkitsDockerfileFrontendForwardsTheSyntaxLineToKilnsImage() throws Exception {
        Path context = context("syntax", "# syntax=" + image.frontend() + "\n");
        Path out = tmp.resolve("syntax-out");

        Run run = buildctl(
                "build",
                "--frontend",
                "dockerfile.v0",
                "--opt",
                "build-arg:GREETING=bonjour",
                "--local",
                "context=" + context,
                "--local",
                "dockerfile=" + context,
                "--output",
                "type=local,dest=" + out);

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertBuilt(out);
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
