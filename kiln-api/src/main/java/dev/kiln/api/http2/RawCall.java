package dev.kiln.api.http2;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Supplier;

/**
 * A gRPC call of one request message on an {@link Http2Channel}, whose messages come back as bytes, outside
 * grpc-java's call API: no stub, io.grpc.Context or Metadata. Those bring up java.util.logging, whose first use scans
 * every jar of the class path for a logger service (12-15 ms of a fresh client's CPU, on the way to its first call),
 * so a build client sends its Solve and Status this way. It speaks gRPC as {@link Http2Call} does, but for the
 * features a short call needs: no deadline, application headers or message requests (the listener gets each message
 * as it is whole, and its bytes go back to the peer's window once the listener returns).
 *
 * <p>The listener hears every message, then the close, once, on the connection's reader thread, or on the thread
 * that cancels or fails the call; never two callbacks at once.
 */
public final class RawCall extends Http2Stream {

    /** What a call's answer comes to. */
    public interface Listener {
        /** A response message, whole. */
        void onMessage(byte[] message);

        /**
         * The end: OK after the last message, or why the call failed. Nothing follows it. {@code trailers} makes the
         * trailers as grpc-java's Metadata (an error's details are there), on demand: Metadata brings up logging.
         */
        void onClose(Status status, Supplier<Metadata> trailers);
    }

    private final Http2Channel channel;
    private final Listener listener;
    // Guarded by this; the listener is called holding it, so that its callbacks never overlap.
    private final InboundMessages inbound;
    private boolean headersSeen;
    private boolean closed;

    private RawCall(Http2Channel channel, Listener listener) {
        this.channel = channel;
        this.listener = listener;
        this.inbound = new InboundMessages(channel.maxInboundMessageSize());
    }

    /**
     * Starts the call of {@code fullMethodName} ({@code package.Service/Method}) with {@code request} as its one
     * message; a failure to start reaches {@code listener} as the close.
     */
    public static RawCall start(Http2Channel channel, String fullMethodName, byte[] request, Listener listener) {
        RawCall call = new RawCall(channel, listener);
        if (!channel.register(call)) {
            call.finish(Status.UNAVAILABLE.withDescription("channel shut down"), Http2Connection.RST_NONE);
            return call;
        }
        byte[] block = GrpcHeaders.request("/" + fullMethodName, channel.authority(), -1, null);
        Http2Connection c;
        try {
            c = channel.openStream(call, block);
        } catch (StatusException e) {
            call.finish(e.getStatus(), Http2Connection.RST_NONE);
            return call;
        }
        byte[] framed = new byte[5 + request.length];
        framed[1] = (byte) (request.length >>> 24);
        framed[2] = (byte) (request.length >>> 16);
        framed[3] = (byte) (request.length >>> 8);
        framed[4] = (byte) request.length;
        System.arraycopy(request, 0, framed, 5, request.length);
        c.send(call, ByteBuffer.wrap(framed));
        c.halfClose(call);
        return call;
    }

    /** Ends the call from this side (a reset to the server) with CANCELLED; nothing once it has ended. */
    public void cancel(String why) {
        finish(Status.CANCELLED.withDescription(why), Http2Connection.RST_CANCEL);
    }

    @Override
    void onHeaders(List<String> fields, boolean endStream) {
        boolean first;
        synchronized (this) {
            first = !headersSeen;
            headersSeen = true;
        }
        if (endStream) {
            finish(GrpcHeaders.status(fields), fields, Http2Connection.RST_IF_OPEN);
            return;
        }
        Status unusable = first
                ? GrpcHeaders.unusableResponse(fields)
                : Status.INTERNAL.withDescription("second HEADERS without END_STREAM");
        if (unusable != null) {
            finish(unusable, Http2Connection.RST_CANCEL);
        }
    }

    @Override
    void onData(byte[] data, boolean endStream) {
        Status failure = null;
        boolean accepted;
        int freed;
        synchronized (this) {
            accepted = !closed && headersSeen;
            if (!accepted) {
                freed = data.length;
                if (!closed) {
                    failure = Status.INTERNAL.withDescription("DATA before response headers");
                }
            } else {
                inbound.add(data);
                try {
                    for (byte[] message = inbound.next(); message != null; message = inbound.next()) {
                        listener.onMessage(message);
                    }
                } catch (StatusException e) {
                    failure = e.getStatus();
                } catch (RuntimeException e) {
                    failure = Status.CANCELLED
                            .withDescription("the call's listener failed")
                            .withCause(e);
                }
                freed = inbound.takeFreed();
            }
        }
        Http2Connection c = connection;
        if (c != null && freed > 0) {
            c.consumed(accepted ? this : null, freed); // null: the connection's window only, as for a stream gone
        }
        if (failure != null) {
            finish(failure, Http2Connection.RST_CANCEL);
        } else if (endStream) {
            finish(
                    Status.INTERNAL.withDescription("the server ended the stream without trailers"),
                    Http2Connection.RST_IF_OPEN);
        }
    }

    @Override
    void transportFailed(Status status) {
        finish(status, Http2Connection.RST_NONE);
    }

    @Override
    void shutdownNow() {
        finish(Status.UNAVAILABLE.withDescription("channel shutdownNow invoked"), Http2Connection.RST_CANCEL);
    }

    /** Decides the outcome, once: frees the stream (resetting it per {@code rst}), then tells the listener. */
    private void finish(Status status, int rst) {
        finish(status, List.of(), rst);
    }

    private void finish(Status status, List<String> trailers, int rst) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Http2Connection c = connection;
        if (c != null) {
            c.remove(this, rst);
        }
        channel.unregister(this);
        synchronized (this) {
            Status end = status.isOk() && !inbound.isEmpty()
                    ? Status.INTERNAL.withDescription("the stream ended inside a message")
                    : status;
            inbound.drop();
            try {
                listener.onClose(end, () -> GrpcHeaders.metadata(trailers, true));
            } catch (RuntimeException e) {
                // the call is over; nothing is left to cancel
            }
        }
    }
}
