package dev.kiln.api.http2;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC call on one HTTP/2 stream, with grpc-java's ClientCall semantics: messages reach the listener only
 * as {@link #request requested} (the rest wait here, bounded by the stream window since bytes go back to the
 * peer only as messages are taken), a normal end reaches onClose after the messages before it, and deadlines,
 * io.grpc.Context cancellation and {@link #cancel} reset the stream.
 *
 * <p>The call's outcome is decided once ({@link #finish}); all listener callbacks go through one
 * {@link CallbackQueue}, so they come in order and never at the same time.
 */
final class Http2Call<Q, R> extends ClientCall<Q, R> implements Context.CancellationListener {

    private final Http2Channel channel;
    private final MethodDescriptor<Q, R> method;
    private final CallOptions options;
    private final Context context;
    private final CallbackQueue callbacks;
    private final Runnable deliver = this::deliver;
    private Listener<R> listener;
    /** The call's stream, as its connection sees it; its callbacks come here. */
    private final Http2Stream stream = new Http2Stream() {
        @Override
        void onHeaders(List<String> fields, boolean endStream) {
            Http2Call.this.onHeaders(fields, endStream);
        }

        @Override
        void onData(byte[] data, boolean endStream) {
            Http2Call.this.onData(data, endStream);
        }

        @Override
        void transportFailed(Status status) {
            Http2Call.this.transportFailed(status);
        }

        @Override
        void shutdownNow() {
            Http2Call.this.shutdownNow();
        }
    };

    private ScheduledFuture<?> deadlineTimer;

    // Call state, guarded by this.
    private boolean started;
    private Status cancelledEarly;
    private boolean headersSeen;
    private final InboundMessages inbound;
    private int requested;
    private volatile Status closeStatus;
    private Metadata closeTrailers;
    private boolean stopDelivery;
    private boolean closeDelivered;

    Http2Call(Http2Channel channel, MethodDescriptor<Q, R> method, CallOptions options, int maxInbound) {
        this.channel = channel;
        this.method = method;
        this.options = options;
        this.context = Context.current();
        this.inbound = new InboundMessages(maxInbound);
        this.callbacks = new CallbackQueue(options.getExecutor());
    }

    @Override
    public void start(Listener<R> responseListener, Metadata headers) {
        Status early;
        synchronized (this) {
            if (started) {
                throw new IllegalStateException("call already started");
            }
            started = true;
            listener = responseListener;
            early = cancelledEarly;
        }
        if (early != null) {
            stop(early, Http2Connection.RST_NONE);
            return;
        }
        if (context.isCancelled()) {
            stop(cancelledStatus(context), Http2Connection.RST_NONE);
            return;
        }
        Deadline deadline = options.getDeadline();
        Deadline contextDeadline = context.getDeadline();
        Deadline effective = deadline == null
                ? contextDeadline
                : contextDeadline == null ? deadline : deadline.minimum(contextDeadline);
        long timeout = -1;
        if (effective != null) {
            timeout = effective.timeRemaining(TimeUnit.NANOSECONDS);
            if (timeout <= 0) {
                stop(
                        Status.DEADLINE_EXCEEDED.withDescription("deadline exceeded before the call started"),
                        Http2Connection.RST_NONE);
                return;
            }
        }
        if (!channel.register(stream)) {
            stop(Status.UNAVAILABLE.withDescription("channel shut down"), Http2Connection.RST_NONE);
            return;
        }
        // A no-op for contexts that cannot be cancelled (ROOT and its plain children).
        context.addListener(this, Runnable::run);
        if (deadline != null) {
            long nanos = deadline.timeRemaining(TimeUnit.NANOSECONDS);
            ScheduledFuture<?> timer = Http2Channel.timer()
                    .schedule(
                            () -> stop(
                                    Status.DEADLINE_EXCEEDED.withDescription(
                                            "deadline exceeded after " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms"),
                                    Http2Connection.RST_CANCEL),
                            nanos,
                            TimeUnit.NANOSECONDS);
            synchronized (this) {
                deadlineTimer = timer;
            }
        }
        String authority = options.getAuthority() != null ? options.getAuthority() : channel.authority();
        byte[] block = GrpcHeaders.request("/" + method.getFullMethodName(), authority, timeout, headers);
        Http2Connection c;
        try {
            c = channel.openStream(stream, block);
        } catch (StatusException e) {
            stop(e.getStatus(), Http2Connection.RST_NONE);
            return;
        }
        if (closeStatus != null) {
            // Cancelled (deadline, context) while the stream was being opened: finish could not reset it then.
            c.remove(stream, Http2Connection.RST_CANCEL);
            return;
        }
        callbacks.execute(this::ready);
    }

    private void ready() {
        if (closeStatus == null) {
            try {
                listener.onReady();
            } catch (Throwable t) {
                listenerFailed(t);
            }
        }
    }

    @Override
    public void request(int numMessages) {
        synchronized (this) {
            requested = (int) Math.min(Integer.MAX_VALUE, (long) requested + numMessages);
        }
        callbacks.execute(deliver);
    }

    @Override
    public void cancel(String message, Throwable cause) {
        Status status = Status.CANCELLED;
        if (message != null) {
            status = status.withDescription(message);
        } else if (cause == null) {
            status = status.withDescription("call cancelled without message");
        }
        if (cause != null) {
            status = status.withCause(cause);
        }
        synchronized (this) {
            if (!started) {
                cancelledEarly = status;
                return;
            }
        }
        stop(status, Http2Connection.RST_CANCEL);
    }

    @Override
    public void halfClose() {
        Http2Connection c = stream.connection;
        if (c != null) {
            c.halfClose(stream);
        }
    }

    @Override
    public void sendMessage(Q message) {
        Http2Connection c = stream.connection;
        if (c == null || closeStatus != null) {
            return;
        }
        ByteBuffer framed;
        try (InputStream in = method.streamRequest(message)) {
            if (in instanceof KnownLength) {
                int n = in.available();
                byte[] b = new byte[5 + n];
                int off = 5;
                while (off < b.length) {
                    int r = in.read(b, off, b.length - off);
                    if (r < 0) {
                        break;
                    }
                    off += r;
                }
                framed = ByteBuffer.wrap(b, 0, off);
            } else {
                byte[] body = in.readAllBytes();
                byte[] b = new byte[5 + body.length];
                System.arraycopy(body, 0, b, 5, body.length);
                framed = ByteBuffer.wrap(b);
            }
        } catch (IOException | RuntimeException e) {
            stop(
                    Status.INTERNAL
                            .withDescription("cannot serialize the request: " + e)
                            .withCause(e),
                    Http2Connection.RST_CANCEL);
            return;
        }
        int length = framed.remaining() - 5;
        framed.array()[1] = (byte) (length >>> 24);
        framed.array()[2] = (byte) (length >>> 16);
        framed.array()[3] = (byte) (length >>> 8);
        framed.array()[4] = (byte) length;
        c.send(stream, framed);
    }

    @Override
    public boolean isReady() {
        return stream.connection != null && closeStatus == null;
    }

    /** io.grpc.Context cancellation (the call's context was cancelled or its deadline passed). */
    @Override
    public void cancelled(Context context) {
        stop(cancelledStatus(context), Http2Connection.RST_CANCEL);
    }

    private static Status cancelledStatus(Context context) {
        Status s = Contexts.statusFromCancelled(context);
        return s != null ? s : Status.CANCELLED.withDescription("io.grpc.Context was cancelled without error");
    }

    /** The channel's shutdownNow: calls in flight end as if the connection had gone. */
    private void shutdownNow() {
        stop(Status.UNAVAILABLE.withDescription("channel shutdownNow invoked"), Http2Connection.RST_CANCEL);
    }

    // From the connection's reader thread.

    private void onHeaders(List<String> fields, boolean endStream) {
        boolean first;
        synchronized (this) {
            first = !headersSeen;
            headersSeen = true;
        }
        if (first && !endStream) {
            Status unusable = GrpcHeaders.unusableResponse(fields);
            if (unusable != null) {
                finish(unusable, GrpcHeaders.metadata(fields, false), true, Http2Connection.RST_CANCEL);
            } else {
                Metadata md = GrpcHeaders.metadata(fields, false);
                callbacks.execute(() -> {
                    if (closeStatus == null || !stopDelivery()) {
                        try {
                            listener.onHeaders(md);
                        } catch (Throwable t) {
                            listenerFailed(t);
                        }
                    }
                });
            }
            return;
        }
        if (!endStream) {
            stop(Status.INTERNAL.withDescription("second HEADERS without END_STREAM"), Http2Connection.RST_CANCEL);
            return;
        }
        finish(GrpcHeaders.status(fields), GrpcHeaders.metadata(fields, true), false, Http2Connection.RST_IF_OPEN);
    }

    private void onData(byte[] data, boolean endStream) {
        boolean accepted;
        boolean early;
        synchronized (this) {
            early = !headersSeen;
            accepted = closeStatus == null && !early;
            if (accepted) {
                inbound.add(data);
            }
        }
        if (!accepted) {
            Http2Connection c = stream.connection;
            if (c != null) {
                c.consumed(null, data.length);
            }
            if (early) {
                stop(Status.INTERNAL.withDescription("DATA before response headers"), Http2Connection.RST_CANCEL);
            }
            return;
        }
        if (endStream) {
            finish(
                    Status.INTERNAL.withDescription("the server ended the stream without trailers"),
                    new Metadata(),
                    false,
                    Http2Connection.RST_IF_OPEN);
        } else {
            callbacks.execute(deliver);
        }
    }

    /** The stream is gone (peer reset, GOAWAY, connection failure): the connection already forgot it. */
    private void transportFailed(Status status) {
        stop(status, Http2Connection.RST_NONE);
    }

    /** Ends the call from this side, without trailers: the listener hears {@code status} at once. */
    private void stop(Status status, int rst) {
        finish(status, new Metadata(), true, rst);
    }

    /**
     * Decides the outcome, once: frees the stream (resetting it per {@code rst}) and the timers, then lets the
     * listener hear it after the messages already here, or at once if {@code stop}.
     */
    private void finish(Status status, Metadata trailers, boolean stop, int rst) {
        ScheduledFuture<?> timer;
        synchronized (this) {
            if (closeStatus != null) {
                return;
            }
            closeStatus = status;
            closeTrailers = trailers;
            stopDelivery = stop;
            timer = deadlineTimer;
        }
        Http2Connection c = stream.connection;
        if (c != null) {
            c.remove(stream, rst);
        }
        if (timer != null) {
            timer.cancel(false);
        }
        context.removeListener(this);
        channel.unregister(stream);
        callbacks.execute(deliver);
    }

    private synchronized boolean stopDelivery() {
        return stopDelivery;
    }

    /** Runs in the callback queue: hands requested messages to the listener, then the close when its turn comes. */
    private void deliver() {
        while (true) {
            byte[] next = null;
            Status close = null;
            Metadata trailers = null;
            Status error = null;
            int freed;
            synchronized (this) {
                if (closeDelivered || listener == null) {
                    return;
                }
                if (closeStatus != null && stopDelivery) {
                    inbound.drop();
                } else {
                    try {
                        next = nextMessage();
                    } catch (StatusException e) {
                        error = e.getStatus();
                    }
                    if (next == null
                            && error == null
                            && closeStatus != null
                            && (requested > 0 || !inbound.hasWhole())) {
                        if (!inbound.isEmpty() && closeStatus.isOk()) {
                            closeStatus = Status.INTERNAL.withDescription("the stream ended inside a message");
                        }
                        inbound.drop();
                    }
                }
                if (next == null && error == null && closeStatus != null && (stopDelivery || inbound.isEmpty())) {
                    close = closeStatus;
                    trailers = closeTrailers;
                    closeDelivered = true;
                }
                freed = inbound.takeFreed();
            }
            Http2Connection c = stream.connection;
            if (c != null && freed > 0) {
                c.consumed(stream, freed);
            }
            if (error != null) {
                stop(error, Http2Connection.RST_CANCEL);
                continue;
            }
            if (next != null) {
                R value;
                try {
                    value = method.parseResponse(new ByteArrayInputStream(next));
                } catch (Throwable t) {
                    stop(
                            Status.CANCELLED
                                    .withDescription("failed to read the response")
                                    .withCause(t),
                            Http2Connection.RST_CANCEL);
                    continue;
                }
                try {
                    listener.onMessage(value);
                } catch (Throwable t) {
                    listenerFailed(t);
                }
                continue;
            }
            if (close != null) {
                try {
                    listener.onClose(close, trailers);
                } catch (Throwable t) {
                    // The call is over; nothing is left to cancel.
                }
            }
            return;
        }
    }

    private void listenerFailed(Throwable t) {
        stop(Status.CANCELLED.withDescription("the call's listener failed").withCause(t), Http2Connection.RST_CANCEL);
    }

    /**
     * The next requested message, or null. Takes bytes only while a message is requested, so an application
     * that asks for nothing leaves them (and the window they hold) with the peer's flow control.
     */
    private byte[] nextMessage() throws StatusException {
        if (requested == 0 && !inbound.inMessage()) {
            return null;
        }
        byte[] next = inbound.next();
        if (next != null) {
            requested--;
        }
        return next;
    }
}
