package dev.kiln.api.http2;

import io.grpc.Status;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One HTTP/2 connection (RFC 9113, client side) on a blocking {@link Http2Transport} (a unix socket, or a pair
 * of streams with prior knowledge of HTTP/2, as a frontend's stdio): a reader thread takes frames in and
 * hands them to the calls; writers (any thread) send frames under {@link #lock}, which also guards the streams,
 * the send windows and each call's outbound queue.
 *
 * <p>Flow control. Sending: DATA waits in its call's queue until both the connection's and the stream's window
 * allow it, and goes out in frames no larger than the peer's MAX_FRAME_SIZE; a WINDOW_UPDATE from the peer
 * sends more. A sender other than the reader thread blocks while its queue is long, so memory stays bounded;
 * the reader never blocks there, since only it can read the WINDOW_UPDATE that would wake it. Receiving: we
 * announce large windows and give bytes back (WINDOW_UPDATE) only once the call has taken them, so a call
 * whose application does not ask for messages holds at most one stream window.
 *
 * <p>Lock order: a call's own monitor is never held while taking {@link #lock}, and calls are told about
 * failures only after {@link #lock} is released.
 */
final class Http2Connection implements Runnable {

    static final int STREAM_WINDOW = 4 << 20;
    static final int CONNECTION_WINDOW = 64 << 20;
    private static final int HEADER_TABLE_SIZE = 4096;
    private static final int MAX_HEADER_BLOCK = 4 << 20;
    private static final int MAX_STREAM_ID = Integer.MAX_VALUE;
    /** How long {@link #close} waits for the reader thread to leave its read once the socket is closed. */
    private static final long READER_END_WAIT = 100;

    /** Queued DATA above which a sender waits. */
    static final long SEND_QUEUE_LIMIT = 256 * 1024;

    /** What {@link #remove} sends when a call ends. */
    static final int RST_NONE = 0;

    static final int RST_CANCEL = 1;
    static final int RST_IF_OPEN = 2;

    private final Http2Channel channel;
    private final String target;
    private final Http2Transport socket;
    private final Thread reader;

    final ReentrantLock lock = new ReentrantLock();
    private final Condition sendable = lock.newCondition();
    // Guarded by lock.
    private final HashMap<Integer, Http2Stream> streams = new HashMap<>();
    private int nextStreamId = 1;
    private boolean draining;
    private Status failure;
    private int peerMaxFrame = Frame.DEFAULT_MAX_FRAME;
    private int peerInitialWindow = Frame.DEFAULT_WINDOW;
    private long sendWindow = Frame.DEFAULT_WINDOW;
    private int unacked;
    private final ByteBuffer frameHeader = ByteBuffer.allocate(Frame.HEADER_LENGTH);
    private final ByteBuffer[] gather = new ByteBuffer[2];
    private final ByteBuffer small = ByteBuffer.allocate(64);

    // Reader thread only.
    private final ByteBuffer in = ByteBuffer.allocate(4 * (Frame.DEFAULT_MAX_FRAME + Frame.HEADER_LENGTH));
    private final byte[] payload = new byte[Frame.DEFAULT_MAX_FRAME];
    private final Hpack.Decoder decoder = new Hpack.Decoder(HEADER_TABLE_SIZE);
    private final ArrayList<String> fields = new ArrayList<>();
    private byte[] block = new byte[Frame.DEFAULT_MAX_FRAME];
    private int blockLength;
    private int blockStream;
    private boolean blockEndStream;

    private Http2Connection(Http2Channel channel, String target, Http2Transport socket) {
        this.channel = channel;
        this.target = target;
        this.socket = socket;
        this.in.flip();
        this.reader = Thread.ofPlatform().daemon().name("kiln-http2").unstarted(this);
    }

    /** Connects and sends the preface with our settings; the server's settings arrive on the reader thread. */
    static Http2Connection open(Http2Channel channel, String target, Http2Transport socket) throws IOException {
        try {
            Http2Connection c = new Http2Connection(channel, target, socket);
            c.lock.lock();
            try {
                ByteBuffer b = c.small;
                b.clear();
                b.put(Frame.PREFACE);
                c.writeSmall(b);
                b.clear();
                b.putShort((short) Frame.SETTINGS_ENABLE_PUSH).putInt(0);
                b.putShort((short) Frame.SETTINGS_INITIAL_WINDOW_SIZE).putInt(STREAM_WINDOW);
                b.putShort((short) Frame.SETTINGS_HEADER_TABLE_SIZE).putInt(HEADER_TABLE_SIZE);
                b.flip();
                c.writeFrame(Frame.SETTINGS, 0, 0, b);
                c.writeWindowUpdate(0, CONNECTION_WINDOW - Frame.DEFAULT_WINDOW);
            } finally {
                c.lock.unlock();
            }
            c.reader.start();
            return c;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    String target() {
        return target;
    }

    /** Whether a new call may start here: false once the peer said GOAWAY or the connection failed. */
    boolean acceptsStreams() {
        lock.lock();
        try {
            return !draining && failure == null;
        } finally {
            lock.unlock();
        }
    }

    /** Opens a stream for {@code call} with its request headers; false if this connection takes no new streams. */
    boolean newStream(Http2Stream call, byte[] headerBlock) {
        return writeLocked(() -> {
            if (draining || failure != null) {
                return false;
            }
            int id = nextStreamId;
            nextStreamId += 2;
            if (nextStreamId > MAX_STREAM_ID || nextStreamId < 0) {
                draining = true;
            }
            call.streamId = id;
            call.connection = this;
            call.sendWindow = peerInitialWindow;
            streams.put(id, call);
            int off = 0;
            int type = Frame.HEADERS;
            do {
                int n = Math.min(peerMaxFrame, headerBlock.length - off);
                boolean last = off + n == headerBlock.length;
                writeFrame(type, last ? Frame.FLAG_END_HEADERS : 0, id, ByteBuffer.wrap(headerBlock, off, n));
                off += n;
                type = Frame.CONTINUATION;
            } while (off < headerBlock.length);
            return true;
        });
    }

    /** Queues one framed gRPC message; sends what the windows allow; may wait while the queue is long. */
    void send(Http2Stream call, ByteBuffer data) {
        writeLocked(() -> {
            if (streams.get(call.streamId) != call || call.halfClosed) {
                return false;
            }
            call.outbound.add(data);
            call.queued += data.remaining();
            flush(call);
            if (Thread.currentThread() != reader) {
                while (call.queued > SEND_QUEUE_LIMIT && streams.get(call.streamId) == call && failure == null) {
                    sendable.awaitUninterruptibly();
                }
            }
            return true;
        });
    }

    /** Ends our side of the stream once its queued DATA is out. */
    void halfClose(Http2Stream call) {
        writeLocked(() -> {
            if (streams.get(call.streamId) != call || call.halfClosed) {
                return false;
            }
            call.halfClosed = true;
            flush(call);
            return true;
        });
    }

    /** What {@link #writeLocked} runs: state changes and frame writes under the lock; false if it had nothing to do. */
    private interface LockedWrite {
        boolean run() throws IOException;
    }

    /**
     * Runs {@code write} under the lock and returns what it returned. A write that fails fails the whole connection,
     * once the lock is released (failing takes the lock itself and wakes every call); it had gone ahead, so the
     * result is then true.
     */
    private boolean writeLocked(LockedWrite write) {
        IOException error = null;
        boolean wentAhead = true;
        lock.lock();
        try {
            wentAhead = write.run();
        } catch (IOException e) {
            error = e;
        } finally {
            lock.unlock();
        }
        if (error != null) {
            fail(writeFailed(error));
        }
        return wentAhead;
    }

    /** Sends as much of the call's queue as the windows allow; END_STREAM rides on the last frame. */
    private void flush(Http2Stream call) throws IOException {
        ArrayDeque<ByteBuffer> q = call.outbound;
        while (!q.isEmpty()) {
            long window = Math.min(sendWindow, call.sendWindow);
            ByteBuffer b = q.peek();
            if (window <= 0 && b.hasRemaining()) {
                break;
            }
            int n = (int) Math.min(Math.min(b.remaining(), window), peerMaxFrame);
            boolean last = n == b.remaining() && q.size() == 1 && call.halfClosed;
            int limit = b.limit();
            b.limit(b.position() + n);
            writeFrame(Frame.DATA, last ? Frame.FLAG_END_STREAM : 0, call.streamId, b);
            b.limit(limit);
            sendWindow -= n;
            call.sendWindow -= n;
            call.queued -= n;
            if (!b.hasRemaining()) {
                q.poll();
            }
            if (last) {
                call.endStreamSent = true;
            }
        }
        if (q.isEmpty() && call.halfClosed && !call.endStreamSent) {
            small.clear().flip();
            writeFrame(Frame.DATA, Frame.FLAG_END_STREAM, call.streamId, small);
            call.endStreamSent = true;
        }
        sendable.signalAll();
    }

    /**
     * Forgets the call's stream (its queue too), telling the peer per {@code rst}: RST_CANCEL always (we
     * cancel), RST_IF_OPEN only if our side has not ended (the server finished first).
     */
    void remove(Http2Stream call, int rst) {
        IOException error = null;
        boolean closeNow;
        lock.lock();
        try {
            if (streams.get(call.streamId) != call) {
                return;
            }
            streams.remove(call.streamId);
            call.outbound.clear();
            call.queued = 0;
            sendable.signalAll();
            if (failure == null && (rst == RST_CANCEL || rst == RST_IF_OPEN && !call.endStreamSent)) {
                try {
                    writeRst(call.streamId, Frame.CANCEL);
                } catch (IOException e) {
                    error = e;
                }
            }
            closeNow = draining && streams.isEmpty() && failure == null;
        } finally {
            lock.unlock();
        }
        if (error != null) {
            fail(writeFailed(error));
        } else if (closeNow) {
            fail(Status.UNAVAILABLE.withDescription("connection to " + target + " drained after GOAWAY"));
        }
    }

    /** Gives {@code n} bytes the call took back to the peer's windows (the stream's only while it is open). */
    void consumed(Http2Stream call, int n) {
        if (n <= 0) {
            return;
        }
        writeLocked(() -> {
            if (failure != null) {
                return false;
            }
            unacked += n;
            if (unacked >= CONNECTION_WINDOW / 2) {
                writeWindowUpdate(0, unacked);
                unacked = 0;
            }
            if (call != null && !call.remoteEnded && streams.get(call.streamId) == call) {
                call.unacked += n;
                if (call.unacked >= STREAM_WINDOW / 2) {
                    writeWindowUpdate(call.streamId, call.unacked);
                    call.unacked = 0;
                }
            }
            return true;
        });
    }

    /**
     * Closes the connection quietly (the channel is done with it). On a socket it also waits a moment for the reader
     * thread to end, so that a process exiting next finds no thread left in a socket read, which would hold the JVM's
     * exit up (see dev.kiln.cli.ProcessExit); a read from a stream does not end when the stream is closed.
     */
    void close() {
        fail(Status.UNAVAILABLE.withDescription("channel shut down"));
        if (socket instanceof Http2Transport.Socket && Thread.currentThread() != reader) {
            try {
                reader.join(READER_END_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Ends the connection: every call still on it fails with {@code status}; later calls use a new one. */
    void fail(Status status) {
        List<Http2Stream> failed;
        lock.lock();
        try {
            if (failure != null) {
                return;
            }
            failure = status;
            failed = new ArrayList<>(streams.values());
            streams.clear();
            sendable.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            socket.close();
        } catch (IOException e) {
            // Closing is all that is left to do; the calls learn the reason from status.
        }
        channel.connectionClosed(this);
        for (Http2Stream call : failed) {
            call.transportFailed(status);
        }
    }

    private Status writeFailed(IOException e) {
        return Status.UNAVAILABLE
                .withDescription("write to " + target + " failed: " + e.getMessage())
                .withCause(e);
    }

    // Writing, under lock.

    private void writeFrame(int type, int flags, int stream, ByteBuffer payload) throws IOException {
        ByteBuffer h = frameHeader;
        int len = payload.remaining();
        h.clear();
        h.put((byte) (len >>> 16)).put((byte) (len >>> 8)).put((byte) len);
        h.put((byte) type).put((byte) flags).putInt(stream);
        h.flip();
        gather[0] = h;
        gather[1] = payload;
        socket.write(gather);
        gather[1] = null;
    }

    private void writeSmall(ByteBuffer b) throws IOException {
        b.flip();
        socket.write(b);
    }

    private void writeWindowUpdate(int stream, int increment) throws IOException {
        small.clear();
        small.putInt(increment).flip();
        writeFrame(Frame.WINDOW_UPDATE, 0, stream, small);
    }

    private void writeRst(int stream, int code) throws IOException {
        small.clear();
        small.putInt(code).flip();
        writeFrame(Frame.RST_STREAM, 0, stream, small);
    }

    // Reading, on the reader thread.

    @Override
    public void run() {
        try {
            while (true) {
                readFrame();
            }
        } catch (Frame.ProtocolException e) {
            lock.lock();
            try {
                if (failure == null) {
                    small.clear();
                    small.putInt(0).putInt(e.code).flip();
                    writeFrame(Frame.GOAWAY, 0, 0, small);
                }
            } catch (IOException ignored) {
                // The connection ends either way.
            } finally {
                lock.unlock();
            }
            fail(Status.INTERNAL.withDescription("HTTP/2 protocol error from " + target + ": " + e.getMessage()));
        } catch (EOFException e) {
            fail(Status.UNAVAILABLE.withDescription("connection to " + target + " closed by the server"));
        } catch (IOException e) {
            fail(Status.UNAVAILABLE
                    .withDescription("connection to " + target + " failed: " + e.getMessage())
                    .withCause(e));
        } catch (RuntimeException | Error e) {
            fail(Status.INTERNAL.withDescription("HTTP/2 reader failed: " + e).withCause(e));
            throw e;
        }
    }

    private void fill(int n) throws IOException {
        while (in.remaining() < n) {
            in.compact();
            int r = socket.read(in);
            in.flip();
            if (r < 0) {
                throw new EOFException();
            }
        }
    }

    private void readFrame() throws IOException, Frame.ProtocolException {
        fill(Frame.HEADER_LENGTH);
        int len = (in.get() & 0xff) << 16 | (in.get() & 0xff) << 8 | (in.get() & 0xff);
        int type = in.get() & 0xff;
        int flags = in.get() & 0xff;
        int stream = in.getInt() & 0x7fffffff;
        if (len > Frame.DEFAULT_MAX_FRAME) {
            throw new Frame.ProtocolException(Frame.FRAME_SIZE_ERROR, "frame of " + len + " bytes");
        }
        fill(len);
        in.get(payload, 0, len);
        if (blockStream != 0 && type != Frame.CONTINUATION) {
            throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "frame type " + type + " inside a header block");
        }
        switch (type) {
            case Frame.DATA -> onData(flags, stream, len);
            case Frame.HEADERS -> onHeaders(flags, stream, len);
            case Frame.RST_STREAM -> onRst(stream, len);
            case Frame.SETTINGS -> onSettings(flags, stream, len);
            case Frame.PUSH_PROMISE ->
                throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "PUSH_PROMISE though push is disabled");
            case Frame.PING -> onPing(flags, len);
            case Frame.GOAWAY -> onGoAway(stream, len);
            case Frame.WINDOW_UPDATE -> onWindowUpdate(stream, len);
            case Frame.CONTINUATION -> onContinuation(flags, stream, len);
            default -> {
                // PRIORITY and unknown types carry nothing for us (RFC 9113 5.5, 6.3).
            }
        }
    }

    private Http2Stream stream(int id) {
        lock.lock();
        try {
            return streams.get(id);
        } finally {
            lock.unlock();
        }
    }

    /** Strips padding: returns the data's end, or throws if the padding does not fit. */
    private int unpadded(int flags, int len, int start) throws Frame.ProtocolException {
        if ((flags & Frame.FLAG_PADDED) == 0) {
            return len;
        }
        int pad = len > 0 ? payload[0] & 0xff : -1;
        if (pad < 0 || start + pad > len) {
            throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "padding longer than the frame");
        }
        return len - pad;
    }

    private void onData(int flags, int stream, int len) throws Frame.ProtocolException {
        if (stream == 0) {
            throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "DATA on stream 0");
        }
        int start = (flags & Frame.FLAG_PADDED) != 0 ? 1 : 0;
        int end = unpadded(flags, len, start);
        Http2Stream call = stream(stream);
        boolean endStream = (flags & Frame.FLAG_END_STREAM) != 0;
        if (call == null) {
            consumed(null, len);
            return;
        }
        if (endStream) {
            call.remoteEnded = true;
        }
        // Padding counts against the window but nobody will consume it: give it back now.
        consumed(call, len - (end - start));
        byte[] data = new byte[end - start];
        System.arraycopy(payload, start, data, 0, data.length);
        call.onData(data, endStream);
    }

    private void onHeaders(int flags, int stream, int len) throws Frame.ProtocolException {
        if (stream == 0) {
            throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "HEADERS on stream 0");
        }
        int start = (flags & Frame.FLAG_PADDED) != 0 ? 1 : 0;
        int end = unpadded(flags, len, start);
        if ((flags & Frame.FLAG_PRIORITY) != 0) {
            start += 5;
        }
        if (start > end) {
            throw new Frame.ProtocolException(Frame.FRAME_SIZE_ERROR, "HEADERS too short");
        }
        blockLength = 0;
        blockStream = stream;
        blockEndStream = (flags & Frame.FLAG_END_STREAM) != 0;
        appendBlock(start, end);
        if ((flags & Frame.FLAG_END_HEADERS) != 0) {
            endBlock();
        }
    }

    private void onContinuation(int flags, int stream, int len) throws Frame.ProtocolException {
        if (blockStream == 0 || stream != blockStream) {
            throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "unexpected CONTINUATION");
        }
        appendBlock(0, len);
        if ((flags & Frame.FLAG_END_HEADERS) != 0) {
            endBlock();
        }
    }

    private void appendBlock(int start, int end) throws Frame.ProtocolException {
        int n = end - start;
        if (blockLength + n > block.length) {
            if (blockLength + n > MAX_HEADER_BLOCK) {
                throw new Frame.ProtocolException(Frame.ENHANCE_YOUR_CALM, "header block above " + MAX_HEADER_BLOCK);
            }
            block = java.util.Arrays.copyOf(block, Math.max(block.length * 2, blockLength + n));
        }
        System.arraycopy(payload, start, block, blockLength, n);
        blockLength += n;
    }

    private void endBlock() throws Frame.ProtocolException {
        int stream = blockStream;
        blockStream = 0;
        fields.clear();
        try {
            // Decoded even for a stream we forgot: the dynamic table must follow every block.
            decoder.decode(block, 0, blockLength, fields);
        } catch (HpackException e) {
            throw new Frame.ProtocolException(Frame.COMPRESSION_ERROR, "bad header block: " + e.getMessage());
        }
        Http2Stream call = stream(stream);
        if (call == null) {
            return;
        }
        if (blockEndStream) {
            call.remoteEnded = true;
        }
        call.onHeaders(List.copyOf(fields), blockEndStream);
    }

    private void onRst(int stream, int len) throws Frame.ProtocolException {
        if (stream == 0 || len != 4) {
            throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "bad RST_STREAM");
        }
        int code = readInt(0);
        Http2Stream call;
        boolean closeNow;
        lock.lock();
        try {
            call = streams.remove(stream);
            if (call != null) {
                call.outbound.clear();
                call.queued = 0;
                sendable.signalAll();
            }
            closeNow = draining && streams.isEmpty();
        } finally {
            lock.unlock();
        }
        if (call != null) {
            call.transportFailed(
                    draining && code == Frame.CANCEL
                            ? Status.UNAVAILABLE.withDescription(
                                    "server at " + target + " went away (GOAWAY, then RST_STREAM)")
                            : GrpcHeaders.resetStatus(code));
        }
        if (closeNow) {
            fail(Status.UNAVAILABLE.withDescription("connection to " + target + " drained after GOAWAY"));
        }
    }

    private void onSettings(int flags, int stream, int len) throws IOException, Frame.ProtocolException {
        if (stream != 0 || len % 6 != 0) {
            throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "bad SETTINGS");
        }
        if ((flags & Frame.FLAG_ACK) != 0) {
            return;
        }
        lock.lock();
        try {
            for (int off = 0; off < len; off += 6) {
                int id = (payload[off] & 0xff) << 8 | (payload[off + 1] & 0xff);
                int value = readInt(off + 2);
                switch (id) {
                    case Frame.SETTINGS_INITIAL_WINDOW_SIZE -> {
                        if (value < 0) {
                            throw new Frame.ProtocolException(Frame.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE " + value);
                        }
                        int delta = value - peerInitialWindow;
                        peerInitialWindow = value;
                        for (Http2Stream call : streams.values()) {
                            call.sendWindow += delta;
                        }
                    }
                    case Frame.SETTINGS_MAX_FRAME_SIZE -> {
                        if (value < Frame.DEFAULT_MAX_FRAME || value > 0xffffff) {
                            throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "MAX_FRAME_SIZE " + value);
                        }
                        peerMaxFrame = value;
                    }
                    default -> {
                        // Header table size: our encoder keeps no table. Concurrency and header list limits: gRPC's
                        // servers announce generous ones and the daemon's client makes a handful of calls.
                    }
                }
            }
            small.clear().flip();
            writeFrame(Frame.SETTINGS, Frame.FLAG_ACK, 0, small);
            for (Http2Stream call : streams.values()) {
                flush(call);
            }
        } finally {
            lock.unlock();
        }
    }

    private void onPing(int flags, int len) throws IOException, Frame.ProtocolException {
        if (len != 8) {
            throw new Frame.ProtocolException(Frame.FRAME_SIZE_ERROR, "PING of " + len + " bytes");
        }
        if ((flags & Frame.FLAG_ACK) != 0) {
            return;
        }
        lock.lock();
        try {
            writeFrame(Frame.PING, Frame.FLAG_ACK, 0, ByteBuffer.wrap(payload, 0, 8));
        } finally {
            lock.unlock();
        }
    }

    private void onGoAway(int stream, int len) throws Frame.ProtocolException {
        if (stream != 0 || len < 8) {
            throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "bad GOAWAY");
        }
        int last = readInt(0) & 0x7fffffff;
        int code = readInt(4);
        String debug = new String(payload, 8, len - 8, java.nio.charset.StandardCharsets.UTF_8);
        Status status = Status.UNAVAILABLE.withDescription("server at " + target + " went away (GOAWAY, error code "
                + code + (debug.isEmpty() ? "" : ", " + debug) + ")");
        List<Http2Stream> refused = new ArrayList<>();
        boolean closeNow;
        lock.lock();
        try {
            draining = true;
            var it = streams.entrySet().iterator();
            while (it.hasNext()) {
                var e = it.next();
                if (e.getKey() > last) {
                    refused.add(e.getValue());
                    e.getValue().outbound.clear();
                    e.getValue().queued = 0;
                    it.remove();
                }
            }
            sendable.signalAll();
            closeNow = streams.isEmpty();
        } finally {
            lock.unlock();
        }
        channel.connectionClosed(this);
        for (Http2Stream call : refused) {
            call.transportFailed(status);
        }
        if (closeNow) {
            fail(status);
        }
    }

    private void onWindowUpdate(int stream, int len) throws IOException, Frame.ProtocolException {
        if (len != 4) {
            throw new Frame.ProtocolException(Frame.FRAME_SIZE_ERROR, "WINDOW_UPDATE of " + len + " bytes");
        }
        int increment = readInt(0) & 0x7fffffff;
        lock.lock();
        try {
            if (stream == 0) {
                if (increment == 0) {
                    throw new Frame.ProtocolException(Frame.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
                }
                sendWindow += increment;
                for (Http2Stream call : streams.values()) {
                    if (!call.outbound.isEmpty()) {
                        flush(call);
                    }
                }
            } else {
                Http2Stream call = streams.get(stream);
                if (call != null) {
                    call.sendWindow += increment;
                    flush(call);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private int readInt(int off) {
        return (payload[off] & 0xff) << 24
                | (payload[off + 1] & 0xff) << 16
                | (payload[off + 2] & 0xff) << 8
                | (payload[off + 3] & 0xff);
    }
}
