package dev.kiln.api.http2;

import io.grpc.Status;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One stream of an {@link Http2Connection} as the connection sees it: the state it keeps for the stream (guarded by
 * its lock) and what it tells the stream's owner. A call of grpc-java's API ({@link Http2Call}) owns one, and so does
 * a {@link RawCall}.
 */
abstract class Http2Stream {

    /** Set by the connection when it opens the stream, before the response can arrive. */
    volatile Http2Connection connection;

    // Guarded by the connection's lock.
    int streamId;
    long sendWindow;
    final ArrayDeque<ByteBuffer> outbound = new ArrayDeque<>();
    long queued;
    boolean halfClosed;
    boolean endStreamSent;
    int unacked;

    /** The server ended its side (set by the reader thread). */
    volatile boolean remoteEnded;

    /** A HEADERS block of the response, from the reader thread. */
    abstract void onHeaders(List<String> fields, boolean endStream);

    /** A DATA frame's payload, from the reader thread. */
    abstract void onData(byte[] data, boolean endStream);

    /** The stream is gone (peer reset, GOAWAY, connection failure): the connection already forgot it. */
    abstract void transportFailed(Status status);

    /** The channel's shutdownNow: a call in flight ends as if the connection had gone. */
    abstract void shutdownNow();
}
