package dev.kiln.worker.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A started container and its first process (its init: when it ends, the container ends, and the kernel kills every
 * other process in its pid namespace). More processes join it through {@link ContainerRuntime#exec}. Close it in all
 * cases: closing kills a process still running, then deletes the container, its bundle and the mount stubs.
 */
public final class RunningContainer extends RuntimeProcess {
    private static final int KILL_ATTEMPTS = 100;
    private static final long KILL_WAIT_MILLIS = 100;
    private static final long RUNNING_POLL_MILLIS = 5;
    /** How long a kill waits for a container still starting to run its process. */
    private static final java.time.Duration STARTING_WAIT = java.time.Duration.ofSeconds(5);

    private final Path rootfs;
    private final Path bundle;
    private final MountStubs stubs;
    private final AtomicInteger execs = new AtomicInteger();

    RunningContainer(
            ContainerRuntime runtime,
            String id,
            Path rootfs,
            Path bundle,
            MountStubs stubs,
            Process process,
            OutputSink stdout,
            OutputSink stderr) {
        super(runtime, id, id, process, stdout, stderr);
        this.rootfs = rootfs;
        this.bundle = bundle;
        this.stubs = stubs;
    }

    Path rootfs() {
        return rootfs;
    }

    Path bundle() {
        return bundle;
    }

    /** The file the runtime writes the init's pid to once the container runs (its command line's --pid-file). */
    static Path pidFile(Path bundle) {
        return bundle.resolve("init.pid");
    }

    /** A fresh name for the files of one more process in this container (its process.json and pid file). */
    String nextExecName() {
        return "exec-" + execs.incrementAndGet();
    }

    /**
     * Waits until the container runs its init: the runtime writes the pid file only then, and a process can join
     * a container only from then on.
     *
     * @throws IOException when the init ended first, or the container did not start within {@code timeout}
     */
    void awaitRunning(Duration timeout) throws IOException, InterruptedException {
        Path pidFile = pidFile(bundle);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!hasContent(pidFile)) {
            if (!process.isAlive()) {
                throw new IOException("container " + id + " has stopped: its first process ended");
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("container " + id + " did not start within " + timeout);
            }
            process.waitFor(RUNNING_POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
        if (!process.isAlive()) {
            throw new IOException("container " + id + " has stopped: its first process ended");
        }
    }

    private static boolean hasContent(Path file) {
        try {
            return Files.size(file) > 0;
        } catch (IOException missing) {
            return false;
        }
    }

    @Override
    public void signal(int signal) throws IOException, InterruptedException {
        checkSignal(signal);
        // Right after start the runtime may not have created the container yet: try again briefly.
        int code = runtime.control("kill", id, Integer.toString(signal));
        for (int attempt = 0; code != 0 && process.isAlive() && attempt < 50; attempt++) {
            Thread.sleep(20);
            code = runtime.control("kill", id, Integer.toString(signal));
        }
        if (code != 0 && process.isAlive()) {
            throw new IOException(runtime.name() + " kill " + id + " " + signal + " failed with exit code " + code);
        }
    }

    /** Kills the process if it still runs (and with it every process in the container), then removes every trace. */
    @Override
    void stopAndRemove() throws IOException, InterruptedException {
        if (process.isAlive()) {
            kill();
        }
        // the runtime deleted the container as its process ended: nothing is left for the watchdog to delete
        runtime.forget(id);
        joinPumps();
        stubs.remove();
        runtime.deleteBundle(bundle);
    }

    @Override
    String closing() {
        return "cleaning up container " + id;
    }

    /**
     * The runtime's foreground process ends when the container's process does and then deletes the container, so
     * killing the container's process is enough. It may not exist yet when we are asked to kill it, hence the
     * retries; only if the runtime process itself hangs is it killed, leaving a container to delete by force.
     */
    private void kill() throws IOException, InterruptedException {
        // A container killed between its creation and the start of its process makes the runtime fail with exit
        // code 1 instead of ending with the signal's 137 (seen under load): let it start first, briefly.
        try {
            awaitRunning(STARTING_WAIT);
        } catch (IOException endedOrStuck) {
            // it ended by itself, or never started: the kills below (or destroying the runtime) settle it
        }
        for (int attempt = 0; attempt < KILL_ATTEMPTS && process.isAlive(); attempt++) {
            runtime.control("kill", id, "9");
            process.waitFor(KILL_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor();
            runtime.control("delete", "--force", id);
        }
    }
}
