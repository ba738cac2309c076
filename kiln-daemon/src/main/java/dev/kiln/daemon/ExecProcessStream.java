package dev.kiln.daemon;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.kiln.api.gateway.DoneMessage;
import dev.kiln.api.gateway.ExecMessage;
import dev.kiln.api.gateway.ExitMessage;
import dev.kiln.api.gateway.FdMessage;
import dev.kiln.api.gateway.InitMessage;
import dev.kiln.api.gateway.StartedMessage;
import dev.kiln.gateway.Container;
import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.ExitException;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.StartRequest;
import dev.kiln.gateway.WinSize;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * One LLBBridge.ExecProcess stream: processes in the build's containers, multiplexed by the client's process ids, as
 * BuildKit's gateway serves them (frontend/gateway/gateway.go, ExecProcess):
 *
 * <ul>
 *   <li>an Init starts a process in the container it names; the server answers Started, then the process's output as
 *       File messages (fd 1 and 2, for the fds the Init asked for), then Exit (its code; for a failure a status too),
 *       then end-of-file on each output fd, and Done last, once the client has also ended the process's input (an
 *       EOF on fd 0) or the Init asked for no input;
 *   <li>File messages from the client carry fd 0 (stdin) only, an EOF ends it; Resize reaches a TTY's terminal,
 *       Signal (by name, as "TERM") the process;
 *   <li>a message with no process id, an Init for an id the stream already had, a message for an id it never had,
 *       an Init naming a container that does not exist (or was released), an unknown signal name and input on an fd
 *       that is not open end the whole stream with BuildKit's status codes; its processes run on in their containers,
 *       without input or output, until the container is released.
 * </ul>
 *
 * A process that cannot start (its container has stopped, its user does not exist) is reported as BuildKit's executor
 * reports it: Started, then an Exit with the unknown status 255 and the reason; one that its container's release kills
 * ends with Cancelled "exit code: 137: context canceled". Checked against buildkitd v0.24.0 with the same raw client,
 * where BuildKit's behaviour comes from how its Go code waits rather than from a rule, Kiln does not copy it: there
 * a piped (non-TTY) process's Exit waits for the client to end its input, a process that exits non-zero kills every
 * other process of its container (they share one errgroup), input that arrives after the process ended fails the
 * stream, a failed stream stays open until the client sends again, and a TTY starts at 0x0 until the first Resize.
 * Here Exit comes when the process ends, processes end on their own, late input is dropped, a failed stream ends at
 * once, and a TTY starts at 24x80.
 */
final class ExecProcessStream implements StreamObserver<ExecMessage> {

    /** BuildKit's exit code when a process has no status of its own (pb.UnknownExitStatus). */
    static final int UNKNOWN_EXIT_STATUS = 255;

    /** The typed error BuildKit attaches to an exit status, which its clients turn back into an ExitError. */
    private static final String EXIT_DETAIL = "github.com/moby/buildkit/gatewayapi.ExitMessage+json";

    private final ForwardedBuild build;
    private final ServerCallStreamObserver<ExecMessage> out;
    private final Object sendLock = new Object();
    private final Object readyLock = new Object();
    /** Touched by the message handler only, which gRPC calls for one message at a time. */
    private final Map<String, StreamProcess> processes = new HashMap<>();

    private final Map<String, StreamProcess> running = new ConcurrentHashMap<>();
    private volatile boolean ended;
    private volatile boolean halfClosed;

    ExecProcessStream(ForwardedBuild build, ServerCallStreamObserver<ExecMessage> out) {
        this.build = build;
        this.out = out;
        out.setOnReadyHandler(() -> {
            synchronized (readyLock) {
                readyLock.notifyAll();
            }
        });
        out.setOnCancelHandler(this::detachAll);
    }

    @Override
    public void onNext(ExecMessage message) {
        if (ended) {
            return;
        }
        try {
            handle(message);
        } catch (StatusRuntimeException e) {
            fail(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(Status.CANCELLED.withDescription("cancelled").asRuntimeException());
        }
    }

    @Override
    public void onError(Throwable t) {
        // the client went away: its processes keep running until their container is released, as in BuildKit
        detachAll();
    }

    /**
     * The client sends no more: the processes' input ends, and the stream ends once every process has, as BuildKit's
     * handler returns once its last process is done.
     */
    @Override
    public void onCompleted() {
        halfClosed = true;
        for (StreamProcess process : processes.values()) {
            process.closeInput();
        }
        completeIfIdle();
    }

    private void handle(ExecMessage message) throws InterruptedException {
        String id = message.getProcessID();
        if (id.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("ProcessID required").asRuntimeException();
        }
        StreamProcess process = processes.get(id);
        switch (message.getInputCase()) {
            case INIT -> {
                if (process != null) {
                    throw Status.ALREADY_EXISTS
                            .withDescription("Process " + id + " already exists")
                            .asRuntimeException();
                }
                start(id, message.getInit());
            }
            case FILE -> known(id, process).input(message.getFile());
            case RESIZE ->
                known(id, process)
                        .resize(new WinSize((int) Math.min(message.getResize().getRows(), 0xffff), (int)
                                Math.min(message.getResize().getCols(), 0xffff)));
            case SIGNAL -> {
                StreamProcess target = known(id, process);
                String name = message.getSignal().getName();
                Integer number = SignalNames.number(name);
                if (number == null) {
                    throw Status.INVALID_ARGUMENT
                            .withDescription("Unknown signal " + name)
                            .asRuntimeException();
                }
                target.signal(number);
            }
            default -> {
                // Started, Exit and Done go from server to client; BuildKit ignores them from a client too
            }
        }
    }

    private static StreamProcess known(String id, StreamProcess process) {
        if (process == null) {
            throw Status.NOT_FOUND
                    .withDescription("IO for process \"" + id + "\" not found")
                    .asRuntimeException();
        }
        return process;
    }

    private void start(String id, InitMessage init) throws InterruptedException {
        Container container = build.container(init.getContainerID());
        if (container == null) {
            throw Status.NOT_FOUND
                    .withDescription("container \"" + init.getContainerID() + "\" previously released or not created")
                    .asRuntimeException();
        }
        if (init.getSecretenvCount() > 0) {
            throw Status.UNIMPLEMENTED
                    .withDescription("secret environment variables of container processes are not supported yet "
                            + "(the capability gateway.exec.secretenv is disabled)")
                    .asRuntimeException();
        }
        StreamProcess process =
                new StreamProcess(id, init.getContainerID(), container, init.getFdsList(), init.getTty());
        processes.put(id, process);
        running.put(id, process);
        ContainerProcess started = null;
        GatewayException failure = null;
        try {
            started = container.start(new StartRequest(
                    init.getMeta().getArgsList(),
                    init.getMeta().getEnvList(),
                    init.getMeta().getUser(),
                    init.getMeta().getCwd(),
                    init.getTty(),
                    process.stdin,
                    process.stdout,
                    process.stderr,
                    init.getSecurity()));
        } catch (GatewayException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new GatewayException(e.getMessage(), e);
        }
        send(id, ExecMessage.newBuilder().setStarted(StartedMessage.getDefaultInstance()), false);
        process.started(started);
        ContainerProcess handle = started;
        GatewayException startFailure = failure;
        Thread.ofVirtual().name("exec-" + id).start(() -> process.await(handle, startFailure));
    }

    /** Sends one message for {@code id}; output waits for the client to take it (flow control), replies do not. */
    private void send(String id, ExecMessage.Builder message, boolean flowControlled) {
        if (ended) {
            return;
        }
        if (flowControlled) {
            awaitReady();
        }
        synchronized (sendLock) {
            if (ended) {
                return;
            }
            try {
                out.onNext(message.setProcessID(id).build());
            } catch (RuntimeException gone) {
                // the call ended under us (cancelled): nothing more can reach the client
                detachAll();
            }
        }
    }

    private void awaitReady() {
        synchronized (readyLock) {
            while (!ended && !out.isReady()) {
                try {
                    readyLock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void fail(StatusRuntimeException status) {
        synchronized (sendLock) {
            if (ended) {
                return;
            }
            ended = true;
            try {
                out.onError(status);
            } catch (RuntimeException alreadyClosed) {
                // the client went first
            }
        }
        detachAll();
    }

    /** The stream is over: processes lose their input and output but run on in their containers. */
    private void detachAll() {
        ended = true;
        synchronized (readyLock) {
            readyLock.notifyAll();
        }
        for (StreamProcess process : running.values()) {
            process.detach();
        }
    }

    private void finished(StreamProcess process) {
        running.remove(process.id);
        completeIfIdle();
    }

    private void completeIfIdle() {
        if (!halfClosed || !running.isEmpty()) {
            return;
        }
        synchronized (sendLock) {
            if (ended) {
                return;
            }
            ended = true;
            try {
                out.onCompleted();
            } catch (RuntimeException alreadyClosed) {
                // the client went first
            }
        }
    }

    /** One process of the stream: its pipes, and how far its end has been told. */
    private final class StreamProcess {
        private final String id;
        private final String containerId;
        private final Container container;
        private final boolean tty;
        private final ProcessInput stdin;
        private final Output stdout;
        private final Output stderr;
        private final CountDownLatch startedSent = new CountDownLatch(1);
        private volatile ContainerProcess handle;
        /** Guarded by this: whether the input is closed (client EOF) and the end has been told (Exit and EOFs). */
        private boolean inputClosed;

        private boolean exitTold;
        private boolean doneSent;

        StreamProcess(String id, String containerId, Container container, List<Integer> fds, boolean tty) {
            this.id = id;
            this.containerId = containerId;
            this.container = container;
            this.tty = tty;
            this.stdin = fds.contains(0) ? new ProcessInput() : null;
            this.stdout = fds.contains(1) ? new Output(1) : null;
            this.stderr = fds.contains(2) ? new Output(2) : null;
            this.inputClosed = stdin == null;
        }

        void started(ContainerProcess started) {
            handle = started;
            startedSent.countDown();
        }

        /** Input from the client: fd 0 only, while it is open. */
        void input(FdMessage file) throws InterruptedException {
            synchronized (this) {
                if (file.getFd() != 0 || inputClosed) {
                    throw Status.OUT_OF_RANGE
                            .withDescription("fd " + Integer.toUnsignedString(file.getFd()) + " unavailable to write")
                            .asRuntimeException();
                }
            }
            if (!file.getData().isEmpty()) {
                stdin.write(file.getData().toByteArray());
            }
            if (file.getEOF()) {
                stdin.end();
                closedInput();
            }
        }

        /** The input ends without the client's EOF (the stream is half-closed): the process reads its end. */
        void closeInput() {
            if (stdin != null) {
                stdin.end();
            }
            closedInput();
        }

        private void closedInput() {
            synchronized (this) {
                inputClosed = true;
            }
            sendDoneIfOver();
        }

        void resize(WinSize size) {
            ContainerProcess process = handle;
            if (process == null || !tty) {
                // BuildKit's executor only reads sizes for a terminal, and answers nothing either way
                return;
            }
            try {
                process.resize(size);
            } catch (GatewayException ended) {
                // the process has ended: nothing to resize, as in BuildKit
            }
        }

        void signal(int number) {
            ContainerProcess process = handle;
            if (process == null) {
                return;
            }
            try {
                process.signal(number);
            } catch (GatewayException ended) {
                // the process has ended or is ending: BuildKit drops the signal too
            }
        }

        /** Waits for the process's end on a thread of its own, then tells the client: Exit, EOFs, Done. */
        void await(ContainerProcess process, GatewayException startFailure) {
            ExitMessage.Builder exit = ExitMessage.newBuilder();
            if (startFailure != null) {
                exit.setCode(UNKNOWN_EXIT_STATUS).setError(error(Status.Code.UNKNOWN, startFailure.getMessage(), null));
            } else {
                try {
                    process.waitFor();
                    exit.setCode(0);
                } catch (ExitException e) {
                    exit.setCode(e.exitCode());
                    if (releasing()) {
                        // killed by the container's release (or the build's end): BuildKit cancels its context
                        exit.setError(error(
                                Status.Code.CANCELLED,
                                "exit code: " + e.exitCode() + ": context canceled",
                                e.exitCode()));
                    } else {
                        exit.setError(error(Status.Code.UNKNOWN, "exit code: " + e.exitCode(), e.exitCode()));
                    }
                } catch (GatewayException e) {
                    exit.setCode(UNKNOWN_EXIT_STATUS).setError(error(Status.Code.UNKNOWN, e.getMessage(), null));
                } catch (InterruptedException e) {
                    exit.setCode(UNKNOWN_EXIT_STATUS).setError(error(Status.Code.CANCELLED, "interrupted", null));
                }
            }
            // the process reads no more: a client still sending input does not wait for it
            if (stdin != null) {
                stdin.close();
            }
            send(id, ExecMessage.newBuilder().setExit(exit), true);
            for (Output output : new Output[] {stdout, stderr}) {
                if (output != null) {
                    send(
                            id,
                            ExecMessage.newBuilder()
                                    .setFile(FdMessage.newBuilder()
                                            .setFd(output.fd)
                                            .setEOF(true)),
                            true);
                }
            }
            synchronized (this) {
                exitTold = true;
            }
            sendDoneIfOver();
        }

        /** Whether the process's container is being released: ReleaseContainer took it, or the build returned. */
        private boolean releasing() {
            return build.container(containerId) != container || build.returned();
        }

        private void sendDoneIfOver() {
            synchronized (this) {
                if (!exitTold || !inputClosed || doneSent) {
                    return;
                }
                doneSent = true;
            }
            send(id, ExecMessage.newBuilder().setDone(DoneMessage.getDefaultInstance()), true);
            finished(this);
        }

        /** The stream is gone: the process's input ends and its output goes nowhere. */
        void detach() {
            if (stdin != null) {
                stdin.end();
            }
            startedSent.countDown();
        }

        /** A stream of the process's output to the client, which only flows once the client has heard Started. */
        private final class Output extends OutputStream {
            private final int fd;

            Output(int fd) {
                this.fd = fd;
            }

            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] data, int offset, int length) {
                if (length == 0) {
                    return;
                }
                try {
                    startedSent.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                send(
                        id,
                        ExecMessage.newBuilder()
                                .setFile(FdMessage.newBuilder()
                                        .setFd(fd)
                                        .setData(ByteString.copyFrom(data, offset, length))),
                        true);
            }
        }
    }

    /**
     * BuildKit's error status of an exit: its code (Unknown, or Cancelled for a process its container's release
     * killed), the message, and for an exit code the typed detail its clients read the code from (JSON, as Go's
     * typeurl registers it).
     */
    private static com.google.rpc.Status error(Status.Code code, String message, Integer exitCode) {
        com.google.rpc.Status.Builder status =
                com.google.rpc.Status.newBuilder().setCode(code.value()).setMessage(message == null ? "" : message);
        if (exitCode != null) {
            status.addDetails(Any.newBuilder()
                    .setTypeUrl(EXIT_DETAIL)
                    .setValue(ByteString.copyFrom("{\"Code\":" + exitCode + "}", StandardCharsets.UTF_8)));
        }
        return status.build();
    }

    /** The names BuildKit's clients send signals by (moby/sys/signal's SignalMap for Linux). */
    static final class SignalNames {
        private static final Map<String, Integer> NUMBERS = numbers();

        private SignalNames() {}

        static Integer number(String name) {
            return NUMBERS.get(name);
        }

        private static Map<String, Integer> numbers() {
            Map<String, Integer> numbers = new HashMap<>();
            String[] names = {
                "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
                "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
                "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"
            };
            for (int i = 0; i < names.length; i++) {
                numbers.put(names[i], i + 1);
            }
            numbers.put("IOT", 6);
            numbers.put("CLD", 17);
            numbers.put("POLL", 29);
            numbers.put("RTMIN", 34);
            numbers.put("RTMAX", 64);
            for (int i = 1; i <= 15; i++) {
                numbers.put("RTMIN+" + i, 34 + i);
                numbers.put("RTMAX-" + i, 64 - i);
            }
            return Map.copyOf(numbers);
        }
    }
}
