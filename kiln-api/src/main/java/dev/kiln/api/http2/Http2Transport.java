package dev.kiln.api.http2;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The bytes under one {@link Http2Connection}: a unix socket, or a pair of streams such as the stdin and stdout
 * on which BuildKit talks to a frontend container. Reads come from the connection's reader thread only; writes
 * come under the connection's lock, one frame at a time.
 */
sealed interface Http2Transport {

    /** Reads what is there into {@code into} (at least one byte); -1 at the end of the input. */
    int read(ByteBuffer into) throws IOException;

    /** Writes all of {@code buffers}, in order, and pushes them out. */
    void write(ByteBuffer... buffers) throws IOException;

    void close() throws IOException;

    /** A unix socket connected to {@code path}. */
    static Http2Transport unix(Path path) throws IOException {
        SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            socket.connect(UnixDomainSocketAddress.of(path));
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        return new Socket(socket);
    }

    record Socket(SocketChannel channel) implements Http2Transport {

        @Override
        public int read(ByteBuffer into) throws IOException {
            return channel.read(into);
        }

        @Override
        public void write(ByteBuffer... buffers) throws IOException {
            while (hasRemaining(buffers)) {
                channel.write(buffers);
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /**
     * Streams, such as a process's stdin and stdout. Plain stream I/O rather than an interruptible channel on
     * purpose: a writer interrupted by its own cancellation must not close a connection that cannot be opened
     * again. A frame goes out as one buffered write and a flush.
     */
    final class Streams implements Http2Transport {

        private final InputStream in;
        private final OutputStream out;

        Streams(InputStream in, OutputStream out) {
            this.in = in;
            this.out = new BufferedOutputStream(out, Frame.DEFAULT_MAX_FRAME + Frame.HEADER_LENGTH);
        }

        @Override
        public int read(ByteBuffer into) throws IOException {
            int n = in.read(into.array(), into.arrayOffset() + into.position(), into.remaining());
            if (n > 0) {
                into.position(into.position() + n);
            }
            return n;
        }

        @Override
        public void write(ByteBuffer... buffers) throws IOException {
            for (ByteBuffer b : buffers) {
                if (b.hasArray()) {
                    out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
                    b.position(b.limit());
                } else {
                    byte[] copy = new byte[b.remaining()];
                    b.get(copy);
                    out.write(copy);
                }
            }
            out.flush();
        }

        /**
         * Closes the output (flushing what is buffered), then the input even when that failed; a failure of the second
         * close is kept as suppressed on the first's rather than replacing it.
         */
        @Override
        public void close() throws IOException {
            try (in;
                    out) {
                // the resources close in reverse order: the output first, the input last
            }
        }
    }

    private static boolean hasRemaining(ByteBuffer[] buffers) {
        for (ByteBuffer b : buffers) {
            if (b.hasRemaining()) {
                return true;
            }
        }
        return false;
    }
}
