package dev.kiln.gateway.grpc;

import com.google.protobuf.ByteString;
import dev.kiln.api.gateway.ExecMessage;
import dev.kiln.api.gateway.ExitMessage;
import dev.kiln.api.gateway.FdMessage;
import dev.kiln.api.gateway.ResizeMessage;
import dev.kiln.api.gateway.SignalMessage;
import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.ExitException;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.StartRequest;
import dev.kiln.gateway.WinSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A process in a {@link BridgeContainer}, driven by ExecProcess messages: Started once it runs, File messages with
 * its output (fd 1 and 2) and our input (fd 0), Exit with its status, and Done once its streams are closed. As in
 * BuildKit, the engine sends Done only after our input has ended, so an Exit closes the input if we have not.
 */
final class BridgeProcess implements ContainerProcess {

    /** BuildKit's exit code for a process whose status is unknown (it failed to run, or the engine failed). */
    static final int UNKNOWN_EXIT_STATUS = 255;

    /** How long a start may take to be confirmed: the engine may first pull or unpack the container's mounts. */
    private static final long START_TIMEOUT_MINUTES = 10;

    private final ExecStream stream;
    private final String pid;
    private final Runnable onFailedExit;
    private final String command;
    private final InputStream stdin;
    private final OutputStream stdout;
    private final OutputStream stderr;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicBoolean inputClosed = new AtomicBoolean();
    private volatile GatewayException exit;
    private volatile IOException outputFailure;

    /** @param onFailedExit told when the process ends with a non-zero status */
    BridgeProcess(ExecStream stream, String pid, StartRequest request, Runnable onFailedExit) {
        this.stream = stream;
        this.pid = pid;
        this.onFailedExit = onFailedExit;
        this.command = String.join(" ", request.args());
        this.stdin = request.stdin();
        this.stdout = request.stdout();
        this.stderr = request.stderr();
    }

    void awaitStarted() throws InterruptedException {
        try {
            started.get(START_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw new GatewayException("start " + command + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new GatewayException(
                    "start " + command + ": the engine did not start it within " + START_TIMEOUT_MINUTES + " minutes");
        }
    }

    /** Copies the caller's input to the process on a virtual thread, then tells the engine it ended. */
    void pumpInput() {
        if (stdin == null) {
            return;
        }
        Thread.ofVirtual().name("kiln-exec-stdin").start(() -> {
            byte[] buffer = new byte[32 * 1024];
            try {
                int n;
                while ((n = stdin.read(buffer)) >= 0) {
                    if (inputClosed.get()) {
                        return;
                    }
                    if (n > 0) {
                        stream.send(fd(0, ByteString.copyFrom(buffer, 0, n), false));
                    }
                }
            } catch (IOException | GatewayException e) {
                // the input ended, or the process did: either way nothing more goes in
            }
            closeInput();
        });
    }

    private void closeInput() {
        if (stdin != null && !inputClosed.getAndSet(true)) {
            try {
                stream.send(fd(0, ByteString.EMPTY, true));
            } catch (GatewayException e) {
                // the process or the stream has ended already
            }
        }
    }

    private ExecMessage fd(int fd, ByteString data, boolean eof) {
        return ExecMessage.newBuilder()
                .setProcessID(pid)
                .setFile(FdMessage.newBuilder().setFd(fd).setData(data).setEOF(eof))
                .build();
    }

    /** A message for this process, in the order the engine sent them. */
    void deliver(ExecMessage message) {
        switch (message.getInputCase()) {
            case STARTED -> started.complete(null);
            case FILE -> write(message.getFile());
            case EXIT -> {
                exit = exitFailure(message.getExit());
                if (exit != null) {
                    onFailedExit.run();
                }
                started.complete(null);
                closeInput();
            }
            case DONE -> {
                started.complete(null);
                done.complete(null);
            }
            default ->
                failed(new GatewayException("the engine sent process " + command + " an unexpected "
                        + message.getInputCase() + " message"));
        }
    }

    private GatewayException exitFailure(ExitMessage exit) {
        if (exit.getCode() == 0) {
            return null;
        }
        String message = exit.hasError() && !exit.getError().getMessage().isEmpty()
                ? exit.getError().getMessage()
                : "process \"" + command + "\" did not complete successfully: exit code: " + exit.getCode();
        if (exit.getCode() == UNKNOWN_EXIT_STATUS && exit.hasError()) {
            return new GatewayException(message);
        }
        return new ExitException(exit.getCode(), message);
    }

    private void write(FdMessage file) {
        OutputStream out = switch (file.getFd()) {
            case 1 -> stdout;
            case 2 -> stderr;
            default -> null;
        };
        if (out == null || outputFailure != null) {
            return;
        }
        try {
            if (!file.getData().isEmpty()) {
                file.getData().writeTo(out);
            }
            out.flush();
        } catch (IOException e) {
            outputFailure = e;
        }
    }

    /** The stream ended before the process did. */
    void failed(GatewayException why) {
        started.completeExceptionally(why);
        done.completeExceptionally(why);
    }

    @Override
    public void waitFor() throws InterruptedException {
        try {
            done.get();
        } catch (ExecutionException e) {
            throw new GatewayException(command + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            // a cancelled wait stops the process too, as a cancelled build stops its steps
            try {
                signal(9);
            } catch (GatewayException ignored) {
                // it has ended already
            }
            throw e;
        } finally {
            stream.deregister(pid);
        }
        if (exit != null) {
            throw exit;
        }
        if (outputFailure != null) {
            throw new GatewayException(
                    "write the output of " + command + ": " + outputFailure.getMessage(), outputFailure);
        }
    }

    @Override
    public void resize(WinSize size) {
        stream.send(ExecMessage.newBuilder()
                .setProcessID(pid)
                .setResize(ResizeMessage.newBuilder().setRows(size.rows()).setCols(size.cols()))
                .build());
    }

    @Override
    public void signal(int signal) {
        String name = SIGNALS.get(signal);
        if (name == null && signal >= 34 && signal <= 64) {
            // the real-time signals as moby/sys/signal names them: from RTMIN up to RTMIN+15, then down from RTMAX
            name = signal == 34
                    ? "RTMIN"
                    : signal <= 49 ? "RTMIN+" + (signal - 34) : signal == 64 ? "RTMAX" : "RTMAX-" + (64 - signal);
        }
        if (name == null) {
            throw new GatewayException("signal " + signal + " has no name the engine knows (1 to 31, 34 to 64)");
        }
        stream.send(ExecMessage.newBuilder()
                .setProcessID(pid)
                .setSignal(SignalMessage.newBuilder().setName(name))
                .build());
    }

    /** Linux's signal numbers by the names BuildKit's moby/sys/signal map uses (without SIG). */
    private static final Map<Integer, String> SIGNALS = Map.ofEntries(
            Map.entry(1, "HUP"),
            Map.entry(2, "INT"),
            Map.entry(3, "QUIT"),
            Map.entry(4, "ILL"),
            Map.entry(5, "TRAP"),
            Map.entry(6, "ABRT"),
            Map.entry(7, "BUS"),
            Map.entry(8, "FPE"),
            Map.entry(9, "KILL"),
            Map.entry(10, "USR1"),
            Map.entry(11, "SEGV"),
            Map.entry(12, "USR2"),
            Map.entry(13, "PIPE"),
            Map.entry(14, "ALRM"),
            Map.entry(15, "TERM"),
            Map.entry(16, "STKFLT"),
            Map.entry(17, "CHLD"),
            Map.entry(18, "CONT"),
            Map.entry(19, "STOP"),
            Map.entry(20, "TSTP"),
            Map.entry(21, "TTIN"),
            Map.entry(22, "TTOU"),
            Map.entry(23, "URG"),
            Map.entry(24, "XCPU"),
            Map.entry(25, "XFSZ"),
            Map.entry(26, "VTALRM"),
            Map.entry(27, "PROF"),
            Map.entry(28, "WINCH"),
            Map.entry(29, "IO"),
            Map.entry(30, "PWR"),
            Map.entry(31, "SYS"));
}
