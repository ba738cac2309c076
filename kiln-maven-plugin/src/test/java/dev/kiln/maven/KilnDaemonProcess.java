package dev.kiln.maven;

import dev.kiln.api.DaemonEndpoint;
import dev.kiln.oci.testing.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code kiln daemon} on a test's state directory, in a process of its own as a user runs it (the daemon's
 * main class on this test's class path), listening on the state's default socket; closing it stops it as
 * {@code kiln daemon stop} does (SIGTERM, then the daemon closes its engine).
 */
final class KilnDaemonProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    final Path state;
    final Path log;
    private final Process process;

    private KilnDaemonProcess(Path state, Path log, Process process) {
        this.state = state;
        this.log = log;
        this.process = process;
    }

    static KilnDaemonProcess start(Path state) throws IOException, InterruptedException {
        Files.createDirectories(state);
        Path log = state.getParent().resolve(state.getFileName() + "-daemon.log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(
                        java.toString(),
                        "--enable-native-access=ALL-UNNAMED",
                        "--sun-misc-unsafe-memory-access=allow",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.kiln.daemon.DaemonCommand",
                        "--state",
                        state.toString()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return Resources.whenReady(new KilnDaemonProcess(state, log, process), KilnDaemonProcess::awaitServing);
    }

    /** Waits until the daemon recorded itself in the state and its socket exists. */
    private void awaitServing() throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "the daemon exited with " + process.exitValue() + "; its log:\n" + Files.readString(log));
            }
            Optional<DaemonEndpoint> running = DaemonEndpoint.running(state);
            if (running.isPresent()
                    && running.get().pid() == process.pid()
                    && DaemonEndpoint.socketPath(running.get().address())
                            .map(Files::exists)
                            .orElse(false)
                    && Files.readString(log).contains("serving")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the daemon did not serve " + state + " within " + START_TIMEOUT
                + "; its log:\n" + Files.readString(log));
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
