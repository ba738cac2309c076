package dev.kiln.api.http2;

import io.grpc.Status;
import io.grpc.StatusException;
import java.util.ArrayDeque;

/**
 * The gRPC messages arriving on one stream: DATA payloads in, whole messages out, as gRPC frames them (a flag byte
 * for compression and a four-byte length before each message). It counts the bytes it hands out, which its call
 * gives back to the peer's flow control. Not thread-safe: its call guards it.
 */
final class InboundMessages {

    private static final int PREFIX = 5;

    private final int maxMessage;
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private int offset;
    private long bytes;
    /** The length of the message being filled, or -1 between messages. */
    private int length = -1;

    private byte[] message;
    private int filled;
    private int taken;

    InboundMessages(int maxMessage) {
        this.maxMessage = maxMessage;
    }

    void add(byte[] data) {
        chunks.add(data);
        bytes += data.length;
    }

    /** Whether nothing is buffered and no message is begun: a stream may end here. */
    boolean isEmpty() {
        return bytes == 0 && length < 0;
    }

    /** Whether a message is begun (its prefix taken) but not yet whole. */
    boolean inMessage() {
        return length >= 0;
    }

    /** Whether the buffered bytes hold the rest of a message. */
    boolean hasWhole() {
        if (length >= 0) {
            return bytes >= length - filled;
        }
        if (bytes < PREFIX) {
            return false;
        }
        return bytes - PREFIX >= lengthOf(peek(PREFIX));
    }

    /** The next whole message, or null while its bytes are still to come. */
    byte[] next() throws StatusException {
        if (length < 0) {
            if (bytes < PREFIX) {
                return null;
            }
            byte[] prefix = take(PREFIX);
            if ((prefix[0] & 1) != 0) {
                throw Status.INTERNAL
                        .withDescription("compressed message, though we accept no compression")
                        .asException();
            }
            long declared = lengthOf(prefix);
            if (declared > maxMessage) {
                throw Status.RESOURCE_EXHAUSTED
                        .withDescription("gRPC message exceeds maximum size " + maxMessage + ": " + declared)
                        .asException();
            }
            length = (int) declared;
            message = new byte[length];
            filled = 0;
        }
        while (filled < length && !chunks.isEmpty()) {
            byte[] chunk = chunks.peek();
            int n = Math.min(chunk.length - offset, length - filled);
            System.arraycopy(chunk, offset, message, filled, n);
            advance(n);
            filled += n;
        }
        if (filled < length) {
            return null;
        }
        byte[] done = message;
        message = null;
        length = -1;
        return done;
    }

    /** Discards what is buffered, counting it as taken. */
    void drop() {
        taken += (int) bytes;
        chunks.clear();
        offset = 0;
        bytes = 0;
        length = -1;
        message = null;
    }

    /** The bytes taken since the last call: what the call may give back to the peer's windows. */
    int takeFreed() {
        int n = taken;
        taken = 0;
        return n;
    }

    private static long lengthOf(byte[] prefix) {
        return (prefix[1] & 0xffL) << 24 | (prefix[2] & 0xff) << 16 | (prefix[3] & 0xff) << 8 | (prefix[4] & 0xff);
    }

    private byte[] take(int n) {
        byte[] out = peek(n);
        int left = n;
        while (left > 0) {
            int step = Math.min(left, chunks.peek().length - offset);
            advance(step);
            left -= step;
        }
        return out;
    }

    private byte[] peek(int n) {
        byte[] out = new byte[n];
        int got = 0;
        int at = offset;
        for (byte[] chunk : chunks) {
            int step = Math.min(n - got, chunk.length - at);
            System.arraycopy(chunk, at, out, got, step);
            got += step;
            at = 0;
            if (got == n) {
                break;
            }
        }
        return out;
    }

    private void advance(int n) {
        offset += n;
        bytes -= n;
        taken += n;
        if (offset == chunks.peek().length) {
            chunks.poll();
            offset = 0;
        }
    }
}
