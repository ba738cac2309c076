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

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;

/** A process in a gateway container: its streams pumped on virtual threads, its end reported by {@link #waitFor}. */
final class LocalProcess implements ContainerProcess {

    private final RunningContainer container;
    private final String command;

    private LocalProcess(RunningContainer container, String command) {
        this.container = container;
        this.command = command;
    }

    static LocalProcess start(ContainerRuntime runtime, Path rootfs, ProcessSpec spec, StartRequest start)
            throws IOException {
        if (start.tty()) {
            throw new GatewayException("a TTY for container processes is not supported yet; start without tty");
        }
        RunningContainer container = runtime.start(rootfs, spec, sink(start.stdout()), sink(start.stderr()));
        InputStream stdin = start.stdin();
        if (stdin == null) {
            container.stdin().close();
        } else {
            Thread.ofVirtual().name(container.id() + "-stdin").start(() -> pumpStdin(stdin, container.stdin()));
        }
        return new LocalProcess(container, String.join(" ", spec.args()));
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

    private static void pumpStdin(InputStream in, OutputStream out) {
        try (out) {
            in.transferTo(out);
        } catch (IOException closed) {
            // the process ended or closed its input: nothing more to deliver
        }
    }

    @Override
    public void waitFor() throws InterruptedException {
        ExitStatus status;
        try {
            status = container.waitFor();
        } catch (IOException e) {
            throw new GatewayException(command + ": " + e.getMessage(), e);
        } finally {
            closeQuietly();
        }
        if (!status.success()) {
            throw new ExitException(status.code(), "process \"" + command + "\" did not complete successfully: exit code: "
                    + status.code());
        }
    }

    @Override
    public void resize(WinSize size) {
        throw new GatewayException("resize needs a process started with a TTY, which is not supported yet");
    }

    @Override
    public void signal(int signal) {
        try {
            container.signal(signal);
        } catch (IOException e) {
            throw new GatewayException("signal " + signal + " to " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException("signal " + signal + " to " + command + ": interrupted", e);
        }
    }

    void kill() throws IOException {
        container.close();
    }

    private void closeQuietly() {
        try {
            container.close();
        } catch (IOException ignored) {
            // waitFor reports the exit status; a failed cleanup here is retried by release
        }
    }
}
