package dev.kiln.api.session;

import dev.kiln.core.IoFailure;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * One gRPC stream call as blocking send and receive for code that runs on its own (virtual) thread, with
 * flow control both ways: a message is only requested from the peer once the previous one was taken, and
 * {@link #send} waits until the transport is ready for more, so neither side buffers without bound.
 *
 * @param <I> the messages that arrive
 * @param <O> the messages that are sent
 */
abstract sealed class CallStream<I, O> implements Wire<I, O> {

    /** The end of the incoming messages: OK when the peer half-closed, else why the call failed. */
    private record End(Status status) {}

    private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final ReentrantLock sendLock = new ReentrantLock();
    private final ReentrantLock readyLock = new ReentrantLock();
    private final Condition readyChanged = readyLock.newCondition();
    /** Set once nothing can be sent any more: the call was closed or cancelled. */
    private volatile Status terminated;

    private Status inputEnd;
    /** Whether the transport takes more now; both gRPC call types ask it the same way. */
    private final BooleanSupplier transportReady;
    /** Asks the peer for one more message. */
    private final Runnable transportRequest;

    CallStream(BooleanSupplier transportReady, Runnable transportRequest) {
        this.transportReady = transportReady;
        this.transportRequest = transportRequest;
    }

    abstract void transportSend(O message);

    /** Whoever owns the call ends it (client: half-close; server: close with OK). */
    abstract void transportFinish();

    /** Aborts the call with {@code status}. */
    abstract void transportAbort(Status status);

    /**
     * The next message, or null once the peer has half-closed (or, for a client, the call ended with OK). A
     * failed or cancelled call is an IOException carrying the peer's message.
     */
    @Override
    @SuppressWarnings("unchecked")
    public I receive() throws IOException, InterruptedException {
        if (inputEnd != null) {
            return endOfInput();
        }
        Object next = inbox.take();
        if (next instanceof End end) {
            inputEnd = end.status();
            return endOfInput();
        }
        transportRequest.run();
        return (I) next;
    }

    private I endOfInput() throws IOException {
        if (inputEnd.isOk()) {
            return null;
        }
        throw failure(inputEnd);
    }

    /** Sends once the transport is ready for more (flow control); fails when the call has ended. */
    @Override
    public void send(O message) throws IOException, InterruptedException {
        sendLock.lockInterruptibly();
        try {
            readyLock.lockInterruptibly();
            try {
                while (!transportReady.getAsBoolean()) {
                    if (terminated != null) {
                        throw failure(terminated);
                    }
                    readyChanged.await();
                }
            } finally {
                readyLock.unlock();
            }
            if (terminated != null) {
                throw failure(terminated);
            }
            transportSend(message);
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Sends without waiting for the transport, for small control messages (requests for files) that must never
     * hold up the thread that reads; their number is bounded by the files of one transfer.
     */
    @Override
    public void sendNow(O message) throws IOException {
        sendLock.lock();
        try {
            if (terminated != null) {
                throw failure(terminated);
            }
            transportSend(message);
        } finally {
            sendLock.unlock();
        }
    }

    /** Ends this side's sending normally. */
    void finish() {
        sendLock.lock();
        try {
            if (terminated == null) {
                transportFinish();
            }
        } finally {
            sendLock.unlock();
        }
    }

    /** Aborts the call, telling the peer why. */
    void abort(Status status) {
        sendLock.lock();
        try {
            if (terminated == null) {
                terminated = status;
                transportAbort(status);
            }
        } finally {
            sendLock.unlock();
        }
        signalReady();
    }

    // Callbacks from gRPC's listener (serialized by gRPC).

    void arrived(I message) {
        inbox.add(message);
    }

    void inputEnded(Status status) {
        inbox.add(new End(status));
    }

    void terminated(Status status) {
        if (terminated == null) {
            terminated = status;
        }
        signalReady();
    }

    void signalReady() {
        readyLock.lock();
        try {
            readyChanged.signalAll();
        } finally {
            readyLock.unlock();
        }
    }

    static IOException failure(Status status) {
        String message = status.getDescription() != null
                ? status.getDescription()
                : status.getCode().toString();
        if (status.getCause() != null && status.getDescription() == null) {
            message = String.valueOf(status.getCause().getMessage());
        }
        return new IOException(message, status.asException());
    }

    /** The status that reports {@code error} to a gRPC peer, keeping a status the code chose. */
    static Status statusOf(Throwable error) {
        return switch (error) {
            case StatusException e -> e.getStatus();
            case StatusRuntimeException e -> e.getStatus();
            case InterruptedException e -> Status.CANCELLED.withDescription("interrupted");
            default -> Status.UNKNOWN.withDescription(IoFailure.describe(error));
        };
    }

    /** Starts a client call; messages and the end of the call arrive through {@link #receive}. */
    static <I, O> Client<I, O> start(Channel channel, MethodDescriptor<O, I> method, Metadata headers) {
        Client<I, O> stream = new Client<>(channel.newCall(method, CallOptions.DEFAULT));
        stream.call.start(stream.listener(), headers);
        stream.call.request(1);
        return stream;
    }

    /** The client side of a call. */
    static final class Client<I, O> extends CallStream<I, O> {
        private final ClientCall<O, I> call;

        private Client(ClientCall<O, I> call) {
            super(call::isReady, () -> call.request(1));
            this.call = call;
        }

        private ClientCall.Listener<I> listener() {
            return new ClientCall.Listener<>() {
                @Override
                public void onMessage(I message) {
                    arrived(message);
                }

                @Override
                public void onReady() {
                    signalReady();
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    terminated(status.isOk() ? Status.CANCELLED.withDescription("call already ended") : status);
                    inputEnded(status);
                }
            };
        }

        @Override
        void transportSend(O message) {
            call.sendMessage(message);
        }

        @Override
        void transportFinish() {
            call.halfClose();
        }

        @Override
        void transportAbort(Status status) {
            call.cancel(status.getDescription(), status.getCause());
        }
    }

    /** The body of a server call, run on its own virtual thread; returning ends the call with OK. */
    interface Body<I, O> {
        void run(Server<I, O> stream, Metadata headers) throws Exception;
    }

    /** A handler that runs {@code body} for each call on a virtual thread; a cancelled call interrupts it. */
    static <I, O> ServerCallHandler<I, O> handler(String name, Body<I, O> body) {
        return (call, headers) -> {
            Server<I, O> stream = new Server<>(call);
            call.request(1);
            Thread worker = Thread.ofVirtual().name(name).unstarted(() -> stream.runBody(body, headers));
            stream.worker = worker;
            worker.start();
            return stream.listener();
        };
    }

    /** The server side of a call. */
    static final class Server<I, O> extends CallStream<I, O> {
        private final ServerCall<I, O> call;
        private volatile Thread worker;
        private boolean closed;
        private boolean headersSent;

        private Server(ServerCall<I, O> call) {
            super(call::isReady, () -> call.request(1));
            this.call = call;
        }

        private void runBody(Body<I, O> body, Metadata headers) {
            try {
                body.run(this, headers);
                finish();
            } catch (Throwable e) {
                abort(statusOf(e));
            }
        }

        private ServerCall.Listener<I> listener() {
            return new ServerCall.Listener<>() {
                @Override
                public void onMessage(I message) {
                    arrived(message);
                }

                @Override
                public void onHalfClose() {
                    inputEnded(Status.OK);
                }

                @Override
                public void onCancel() {
                    Status cancelled = Status.CANCELLED.withDescription("the caller cancelled the call");
                    terminated(cancelled);
                    inputEnded(cancelled);
                    Thread w = worker;
                    if (w != null) {
                        w.interrupt();
                    }
                }

                @Override
                public void onReady() {
                    signalReady();
                }
            };
        }

        @Override
        void transportSend(O message) {
            if (!closed) {
                sendHeadersIfNeeded();
                call.sendMessage(message);
            }
        }

        @Override
        void transportFinish() {
            if (!closed) {
                closed = true;
                call.close(Status.OK, new Metadata());
            }
        }

        @Override
        void transportAbort(Status status) {
            if (!closed) {
                closed = true;
                call.close(status, new Metadata());
            }
        }

        private void sendHeadersIfNeeded() {
            if (!headersSent) {
                headersSent = true;
                call.sendHeaders(new Metadata());
            }
        }
    }
}
