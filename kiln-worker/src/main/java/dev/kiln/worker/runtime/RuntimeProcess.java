package dev.kiln.worker.runtime;

import dev.kiln.worker.sys.Signals;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A process the OCI runtime runs in a container, seen from the runtime command that runs it in the foreground: the
 * container's first process ({@link RunningContainer}, {@code runc run}) or one started in it later
 * ({@link ExecProcess}, {@code runc exec}). The runtime command's output is pumped to the sinks; its exit status is
 * the process's. Close it in all cases: closing kills the process if it still runs and removes what it left.
 */
public abstract sealed class RuntimeProcess implements AutoCloseable permits RunningContainer, ExecProcess {

    final ContainerRuntime runtime;
    /** The container's id in the runtime; an exec'd process has its container's. */
    final String id;

    final Process process;
    private final Thread stdoutPump;
    private final Thread stderrPump;
    private volatile RuntimeException sinkFailure;
    private boolean closed;

    /** {@code name}: the process's, which its output pumps' threads are named after. */
    RuntimeProcess(
            ContainerRuntime runtime, String id, String name, Process process, OutputSink stdout, OutputSink stderr) {
        this.runtime = runtime;
        this.id = id;
        this.process = process;
        // Platform threads: a read of a process pipe holds its carrier while it waits, so two quiet containers
        // would hold both carriers of a 2-core machine and stall every virtual thread of a daemon (seen).
        this.stdoutPump =
                Thread.ofPlatform().daemon().name(name + "-stdout").start(() -> pump(process.getInputStream(), stdout));
        this.stderrPump =
                Thread.ofPlatform().daemon().name(name + "-stderr").start(() -> pump(process.getErrorStream(), stderr));
    }

    /** The container's id in the runtime (as {@code runc list} shows it). */
    public final String id() {
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
     * @throws InterruptedException when the waiting thread is interrupted; the process keeps running until closed
     * @throws IOException when a sink threw; the message names the container
     */
    public ExitStatus waitFor() throws InterruptedException, IOException {
        int code = process.waitFor();
        joinPumps();
        RuntimeException failure = sinkFailure;
        if (failure != null) {
            throw new IOException("an output sink of container " + id() + " failed: " + failure.getMessage(), failure);
        }
        return new ExitStatus(code);
    }

    /** Sends {@code signal} (e.g. 15 for SIGTERM) to the process in the container. */
    public abstract void signal(int signal) throws IOException, InterruptedException;

    /**
     * Kills the process if it still runs, then removes every trace of it; once only. An interrupt while waiting for
     * that fails the close but is kept on the thread.
     */
    @Override
    public final synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        boolean interrupted = Thread.interrupted();
        try {
            stopAndRemove();
        } catch (InterruptedException e) {
            interrupted = true;
            throw new IOException("interrupted while " + closing(), e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Close's work: kill the process if it still runs, wait for the runtime to end, remove what it left. */
    abstract void stopAndRemove() throws IOException, InterruptedException;

    /** What close does, for the message when it is interrupted, e.g. "cleaning up container ID". */
    abstract String closing();

    /** Sends {@code signal} to the runtime process itself (not the container's), e.g. SIGWINCH after a resize. */
    void signalRuntime(int signal) throws IOException {
        if (process.isAlive()) {
            Signals.send(process.pid(), signal);
        }
    }

    static void checkSignal(int signal) {
        if (signal <= 0 || signal > 64) {
            throw new IllegalArgumentException("signal " + signal + " is not between 1 and 64");
        }
    }

    void joinPumps() throws InterruptedException {
        stdoutPump.join();
        stderrPump.join();
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
