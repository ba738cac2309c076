package dev.kiln.worker.runtime;

import dev.kiln.worker.sys.Signals;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A started container and its one process. Output is pumped to the sinks on virtual threads. Close it in all
 * cases: closing kills a process still running, then deletes the container, its bundle and the mount stubs.
 */
public final class RunningContainer implements AutoCloseable {
    private static final int KILL_ATTEMPTS = 100;
    private static final long KILL_WAIT_MILLIS = 100;

    private final ContainerRuntime runtime;
    private final String id;
    private final Path bundle;
    private final MountStubs stubs;
    private final Process process;
    private final Thread stdoutPump;
    private final Thread stderrPump;
    private volatile RuntimeException sinkFailure;
    private boolean closed;

    RunningContainer(
            ContainerRuntime runtime,
            String id,
            Path bundle,
            MountStubs stubs,
            Process process,
            OutputSink stdout,
            OutputSink stderr) {
        this.runtime = runtime;
        this.id = id;
        this.bundle = bundle;
        this.stubs = stubs;
        this.process = process;
        // Platform threads: a read of a process pipe holds its carrier while it waits, so two quiet containers
        // would hold both carriers of a 2-core machine and stall every virtual thread of a daemon (seen).
        this.stdoutPump =
                Thread.ofPlatform().daemon().name(id + "-stdout").start(() -> pump(process.getInputStream(), stdout));
        this.stderrPump =
                Thread.ofPlatform().daemon().name(id + "-stderr").start(() -> pump(process.getErrorStream(), stderr));
    }

    /** The container's id in the runtime (as {@code runc list} shows it). */
    public String id() {
        return id;
    }

    /** The process's standard input; close it to send end-of-file. */
    public OutputStream stdin() {
        return process.getOutputStream();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits for the process to end and for its output to be delivered.
     *
     * @throws InterruptedException when the waiting thread is interrupted; the container keeps running until closed
     * @throws IOException when a sink threw; the message names the container
     */
    public ExitStatus waitFor() throws InterruptedException, IOException {
        int code = process.waitFor();
        stdoutPump.join();
        stderrPump.join();
        RuntimeException failure = sinkFailure;
        if (failure != null) {
            throw new IOException("an output sink of container " + id + " failed: " + failure.getMessage(), failure);
        }
        return new ExitStatus(code);
    }

    /** Sends {@code signal} to the runtime process itself (not the container's), e.g. SIGWINCH after a resize. */
    void signalRuntime(int signal) throws IOException {
        if (process.isAlive()) {
            Signals.send(process.pid(), signal);
        }
    }

    /** Sends {@code signal} (e.g. 15 for SIGTERM) to the container's process. */
    public void signal(int signal) throws IOException, InterruptedException {
        if (signal <= 0 || signal > 64) {
            throw new IllegalArgumentException("signal " + signal + " is not between 1 and 64");
        }
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

    /** Kills the process if it still runs, then removes every trace of the container. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        boolean interrupted = Thread.interrupted();
        try {
            if (process.isAlive()) {
                kill();
            }
            // the runtime deleted the container as its process ended: nothing is left for the watchdog to delete
            runtime.forget(id);
            stdoutPump.join();
            stderrPump.join();
            stubs.remove();
            runtime.deleteBundle(bundle);
        } catch (InterruptedException e) {
            interrupted = true;
            throw new IOException("interrupted while cleaning up container " + id, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The runtime's foreground process ends when the container's process does and then deletes the container, so
     * killing the container's process is enough. It may not exist yet when we are asked to kill it, hence the
     * retries; only if the runtime process itself hangs is it killed, leaving a container to delete by force.
     */
    private void kill() throws IOException, InterruptedException {
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

    private void pump(InputStream in, OutputSink sink) {
        byte[] buffer = new byte[32 * 1024];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (n > 0 && sinkFailure == null) {
                    try {
                        sink.write(buffer, 0, n);
                    } catch (RuntimeException e) {
                        // keep draining: a full pipe would block the container
                        sinkFailure = e;
                    }
                }
            }
        } catch (IOException e) {
            // the pipe closes when the process and everything that inherited it are gone
        }
    }
}
