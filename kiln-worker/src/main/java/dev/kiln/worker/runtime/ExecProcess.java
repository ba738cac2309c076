package dev.kiln.worker.runtime;

import dev.kiln.worker.sys.Signals;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One more process in a {@link RunningContainer}, started by the runtime's {@code exec}: it shares the container's
 * namespaces (pid, network, mounts, ...) and root filesystem, and dies with the container's first process. The
 * runtime writes the process's host pid to a file; signals go to that pid directly, as BuildKit sends SIGKILL to its
 * exec'd processes, so that none is lost to the runtime before it forwards signals.
 */
public final class ExecProcess extends RuntimeProcess {
    private static final int KILL_ATTEMPTS = 100;
    private static final long KILL_WAIT_MILLIS = 100;
    private static final long PID_WAIT_MILLIS = 5_000;

    private final RunningContainer container;
    private final Path processFile;
    private final Path pidFile;

    ExecProcess(
            ContainerRuntime runtime,
            RunningContainer container,
            String name,
            Path processFile,
            Path pidFile,
            Process process,
            OutputSink stdout,
            OutputSink stderr) {
        super(runtime, container.id(), container.id() + "-" + name, process, stdout, stderr);
        this.container = container;
        this.processFile = processFile;
        this.pidFile = pidFile;
    }

    /**
     * Sends {@code signal} to the process once the runtime has started it; nothing when it has ended.
     *
     * @throws IOException when the runtime never reported the process's pid while running
     */
    @Override
    public void signal(int signal) throws IOException, InterruptedException {
        checkSignal(signal);
        long pid = awaitPid();
        if (pid > 0 && process.isAlive()) {
            // the runtime reaps the process, so while the runtime runs the pid is still the process's
            Signals.send(pid, signal);
        }
    }

    /** The process's host pid, once the runtime wrote it; 0 when the runtime ended without one. */
    private long awaitPid() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PID_WAIT_MILLIS);
        while (true) {
            String text = read(pidFile);
            if (!text.isEmpty()) {
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException partial) {
                    // being written: read again
                }
            }
            if (!process.isAlive()) {
                return 0;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(runtime.name() + " exec in container " + container.id()
                        + " did not report the process's pid within " + PID_WAIT_MILLIS + " ms");
            }
            process.waitFor(5, TimeUnit.MILLISECONDS);
        }
    }

    private static String read(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (java.nio.file.NoSuchFileException missing) {
            return "";
        }
    }

    /** Kills the process if it still runs, waits for the runtime to end, and removes the process's files. */
    @Override
    void stopAndRemove() throws IOException, InterruptedException {
        for (int attempt = 0; attempt < KILL_ATTEMPTS && process.isAlive(); attempt++) {
            try {
                long pid = awaitPid();
                if (pid > 0 && process.isAlive()) {
                    Signals.send(pid, 9);
                }
            } catch (IOException noPid) {
                break;
            }
            process.waitFor(KILL_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }
        if (process.isAlive()) {
            // a runtime that never started the process, or hangs: it has nothing in the container to leave
            process.destroyForcibly();
            process.waitFor();
        }
        joinPumps();
        Files.deleteIfExists(processFile);
        Files.deleteIfExists(pidFile);
    }

    @Override
    String closing() {
        return "stopping a process in container " + container.id();
    }
}
