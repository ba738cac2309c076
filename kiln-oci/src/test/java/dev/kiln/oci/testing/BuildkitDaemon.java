package dev.kiln.oci.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * BuildKit's own buildkitd (the v0.24.0 binary on PATH), for the tests that check Kiln against the real thing: an
 * OCI worker on runc with host networking, its state and log in a directory of the test, its socket in a fresh short
 * directory under /tmp, and plain HTTP to one local registry. {@link #assumeInstalled()} skips a test where
 * buildkitd, buildctl or root are missing (never in CI). {@link #close()} stops it.
 *
 * @param dir the test's directory with buildkitd's state, config and log
 * @param socketDir the directory of buildkitd's socket
 * @param process buildkitd
 */
public record BuildkitDaemon(Path dir, Path socketDir, Process process) implements AutoCloseable {
    private static final long START_TIMEOUT_SECONDS = 60;

    /** What {@code buildctl} printed and how it exited. */
    public record Run(int exitCode, String output) {}

    /** Skips the calling test unless buildkitd and buildctl are on PATH and the tests run as root. */
    public static void assumeInstalled() {
        assumeTrue(
                onPath("buildkitd") && onPath("buildctl"),
                "buildkitd and buildctl are not on PATH: the test against BuildKit needs them");
        assumeTrue("root".equals(System.getProperty("user.name")), "buildkitd runs its OCI worker as root only here");
    }

    /** Starts buildkitd with its state under {@code dir}, trusting {@code registryHost} over plain HTTP. */
    public static BuildkitDaemon start(Path dir, String registryHost) throws IOException, InterruptedException {
        // a unix socket path must stay short: not under the test's deep temporary directory
        Path socketDir = Files.createTempDirectory(Path.of("/tmp"), "kiln-bk");
        Path config = dir.resolve("buildkitd.toml");
        Files.writeString(config, """
                [worker.oci]
                  enabled = true
                [worker.containerd]
                  enabled = false
                [registry."%s"]
                  http = true
                  insecure = true
                """.formatted(registryHost));
        Process process = new ProcessBuilder(
                        "buildkitd",
                        "--root",
                        dir.resolve("buildkit-root").toString(),
                        "--addr",
                        "unix://" + socketDir.resolve("buildkitd.sock"),
                        "--config",
                        config.toString(),
                        "--oci-worker-binary",
                        "runc",
                        "--oci-worker-net",
                        "host",
                        "--containerd-worker",
                        "false")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("buildkitd.log").toFile())
                .start();
        return Resources.whenReady(new BuildkitDaemon(dir, socketDir, process), BuildkitDaemon::awaitWorkers);
    }

    /** Waits until buildctl lists the daemon's workers: the socket answers before the worker is ready. */
    private void awaitWorkers() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (buildctl("debug", "workers").exitCode() != 0) {
            if (!process.isAlive()) {
                throw new IllegalStateException("buildkitd ended: " + log());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "buildkitd did not answer within " + START_TIMEOUT_SECONDS + " s: " + log());
            }
            Thread.sleep(200);
        }
    }

    /** The daemon's address, as buildctl's {@code --addr} takes it. */
    public String address() {
        return "unix://" + socketDir.resolve("buildkitd.sock");
    }

    /** Runs {@code buildctl --addr ADDRESS args...} against this daemon. */
    public Run buildctl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("buildctl", "--addr", address()));
        command.addAll(List.of(args));
        Process buildctl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(buildctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(buildctl.waitFor(), output);
    }

    /** What buildkitd has written to its log so far. */
    public String log() throws IOException {
        return Files.readString(dir.resolve("buildkitd.log"));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(socketDir.resolve("buildkitd.sock"));
        Files.deleteIfExists(socketDir);
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
