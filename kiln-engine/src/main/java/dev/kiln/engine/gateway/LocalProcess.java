package dev.kiln.engine.gateway;

import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.ExitException;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.StartRequest;
import dev.kiln.gateway.WinSize;
import dev.kiln.worker.runtime.ContainerRuntime;
import dev.kiln.worker.runtime.ExitStatus;
import dev.kiln.worker.runtime.OutputSink;
import dev.kiln.worker.runtime.ProcessSpec;
import dev.kiln.worker.runtime.RunningContainer;
import dev.kiln.worker.runtime.RuntimeProcess;
import dev.kiln.worker.runtime.TerminalContainer;
import dev.kiln.worker.sys.Pty;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * A process in a gateway container, its first (the container's init) or one exec'd into it: its streams pumped on
 * threads of their own, its end reported by {@link #waitFor}.
 *
 * @param spec           what it runs, with the settings a process exec'd into the container inherits when it is
 *                       the init
 * @param terminal       its pseudo-terminal, or null for a process with piped streams
 * @param terminalOutput the thread that copies the terminal's output, or null without a terminal
 */
record LocalProcess(RuntimeProcess process, ProcessSpec spec, TerminalContainer terminal, Thread terminalOutput)
        implements ContainerProcess {

    private static final Pty.WindowSize INITIAL_SIZE = new Pty.WindowSize(24, 80);

    /** Starts the container's first process on {@code rootfs}. */
    static LocalProcess start(ContainerRuntime runtime, Path rootfs, ProcessSpec spec, StartRequest start)
            throws IOException {
        if (start.tty()) {
            return onTerminal(runtime.startOnTerminal(rootfs, spec, INITIAL_SIZE), spec, start);
        }
        return piped(runtime.start(rootfs, spec, sink(start.stdout()), sink(start.stderr())), spec, start);
    }

    /** Starts one more process in the container whose first process is {@code container}. */
    static LocalProcess exec(ContainerRuntime runtime, RunningContainer container, ProcessSpec spec, StartRequest start)
            throws IOException, InterruptedException {
        if (start.tty()) {
            return onTerminal(runtime.execOnTerminal(container, spec, INITIAL_SIZE), spec, start);
        }
        return piped(runtime.exec(container, spec, sink(start.stdout()), sink(start.stderr())), spec, start);
    }

    private static LocalProcess piped(RuntimeProcess process, ProcessSpec spec, StartRequest start) {
        InputStream stdin = start.stdin();
        if (stdin == null) {
            try {
                process.stdin().close();
            } catch (IOException ended) {
                // the process is gone already: it needed no input
            }
        } else {
            Thread.ofPlatform().daemon().name(process.id() + "-stdin").start(() -> pumpStdin(stdin, process.stdin()));
        }
        return new LocalProcess(process, spec, null, null);
    }

    /** A process on a pseudo-terminal: one output stream (stdout), input typed into the terminal. */
    private static LocalProcess onTerminal(TerminalContainer started, ProcessSpec spec, StartRequest start) {
        Pty pty = started.terminal();
        OutputSink out = sink(start.stdout());
        // A platform thread: reading the terminal is a blocking native call that would pin a virtual thread's carrier.
        Thread reader = Thread.ofPlatform()
                .daemon()
                .name(started.container().id() + "-tty")
                .start(() -> {
                    byte[] buffer = new byte[8192];
                    try {
                        for (int n; (n = pty.read(buffer, 0, buffer.length)) >= 0; ) {
                            out.write(buffer, 0, n);
                        }
                    } catch (IOException | RuntimeException ended) {
                        // the terminal closed or the reader of our output went away
                    }
                });
        InputStream stdin = start.stdin();
        if (stdin != null) {
            Thread.ofPlatform()
                    .daemon()
                    .name(started.container().id() + "-tty-input")
                    .start(() -> {
                        byte[] buffer = new byte[4096];
                        try {
                            for (int n; (n = stdin.read(buffer)) >= 0; ) {
                                pty.write(buffer, 0, n);
                            }
                        } catch (IOException ended) {
                            // the process ended or its input closed
                        }
                    });
        }
        return new LocalProcess(started.container(), spec, started, reader);
    }

    private static OutputSink sink(OutputStream out) {
        if (out == null) {
            return OutputSink.DISCARD;
        }
        return (data, offset, length) -> {
            try {
                out.write(data, offset, length);
                out.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
    }

    /**
     * Delivers input as it arrives: the process's stdin is buffered, and a process that answers what it reads (a
     * frontend's gRPC connection, an interactive shell) must not wait for a buffer to fill.
     */
    private static void pumpStdin(InputStream in, OutputStream out) {
        byte[] buffer = new byte[16 * 1024];
        try (out) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException closed) {
            // the process ended or closed its input: nothing more to deliver
        }
    }

    /** The command line, for messages. */
    String command() {
        return String.join(" ", spec.args());
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The container, when this is its first process. */
    RunningContainer container() {
        if (process instanceof RunningContainer container) {
            return container;
        }
        throw new IllegalStateException(command() + " is not the first process of its container");
    }

    @Override
    public void waitFor() throws InterruptedException {
        ExitStatus status;
        try {
            status = process.waitFor();
        } catch (IOException e) {
            throw new GatewayException(command() + ": " + e.getMessage(), e);
        } finally {
            closeQuietly();
        }
        if (terminal != null) {
            terminalOutput.join();
            closeTerminal();
        }
        if (!status.success()) {
            throw new ExitException(
                    status.code(),
                    "process \"" + command() + "\" did not complete successfully: exit code: " + status.code());
        }
    }

    @Override
    public void resize(WinSize size) {
        if (terminal == null) {
            throw new GatewayException("resize needs a process started with a TTY");
        }
        try {
            terminal.resize(new Pty.WindowSize(size.rows(), size.cols()));
        } catch (IOException e) {
            throw new GatewayException("resize terminal of " + command() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void signal(int signal) {
        try {
            process.signal(signal);
        } catch (IOException e) {
            throw new GatewayException("signal " + signal + " to " + command() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException("signal " + signal + " to " + command() + ": interrupted", e);
        }
    }

    void kill() throws IOException {
        process.close();
        closeTerminal();
    }

    private void closeTerminal() {
        if (terminal != null) {
            try {
                terminal.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    private void closeQuietly() {
        try {
            process.close();
        } catch (IOException ignored) {
            // waitFor reports the exit status; a failed cleanup here is retried by release
        }
    }
}
