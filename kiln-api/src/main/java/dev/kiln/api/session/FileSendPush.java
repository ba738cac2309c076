package dev.kiln.api.session;

import com.google.protobuf.ByteString;
import dev.kiln.api.filesync.BytesMessage;
import dev.kiln.api.filesync.FileSendGrpc;
import dev.kiln.api.fsutil.Packet;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Daemon role of FileSend.DiffCopy (BuildKit's CopyFileWriter and CopyToCaller): pushes an export to the
 * client, as a byte stream for a file or as fsutil packets for a directory. {@code exporterId} is the
 * exporter's index in SolveRequest.Exporters, which the client uses to choose the target.
 */
public final class FileSendPush {

    /** Bytes per message: large enough to keep per-message costs small, far below gRPC's 4 MiB limit. */
    static final int CHUNK = 256 * 1024;

    private FileSendPush() {}

    /**
     * A stream to a file target of the client; each {@code exporterMetadata} entry is sent as an
     * "exporter-md-KEY" header. {@link OutputStream#close()} half-closes and waits for the client to finish,
     * throwing an IOException with the client's error. Writes wait while the client is slower (flow control).
     */
    public static FileStream openFile(Channel channel, int exporterId, Map<String, String> exporterMetadata)
            throws IOException {
        Metadata headers = new Metadata();
        headers.put(SyncOptions.key(FileSendMethods.EXPORTER_ID), Integer.toString(exporterId));
        exporterMetadata.forEach(
                (k, v) -> headers.put(SyncOptions.key(FileSendMethods.EXPORTER_METADATA_PREFIX + k), v));
        return new FileStream(CallStream.start(channel, FileSendGrpc.getDiffCopyMethod(), headers));
    }

    /** Sends {@code dir} to a directory target of the client (fsutil sender) and waits for it to finish. */
    public static void sendDirectory(Channel channel, int exporterId, Path dir)
            throws IOException, InterruptedException {
        Metadata headers = new Metadata();
        headers.put(SyncOptions.key(FileSendMethods.EXPORTER_ID), Integer.toString(exporterId));
        CallStream.Client<Packet, Packet> stream = CallStream.start(channel, FileSendMethods.PACKETS, headers);
        boolean sent = false;
        try {
            FsSender.send(stream, dir, FileFilter.NONE);
            sent = true;
        } finally {
            if (!sent) {
                stream.abort(Status.CANCELLED.withDescription("the sender failed"));
            }
        }
        stream.finish();
        while (stream.receive() != null) {
            // Nothing is expected after FIN; the client ends the call.
        }
    }

    /**
     * A file on its way to the client, in messages of {@link #CHUNK} bytes; {@link #abort} ends it as a failure, so the
     * client keeps no partial file.
     */
    public static final class FileStream extends OutputStream {
        private final CallStream.Client<BytesMessage, BytesMessage> stream;
        private final byte[] buf = new byte[CHUNK];
        private int used;
        private boolean closed;

        FileStream(CallStream.Client<BytesMessage, BytesMessage> stream) {
            this.stream = stream;
        }

        @Override
        public void write(int b) throws IOException {
            if (used == buf.length) {
                flushBuffer();
            }
            buf[used++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ensureOpen();
            while (len > 0) {
                if (used == buf.length) {
                    flushBuffer();
                }
                int n = Math.min(len, buf.length - used);
                System.arraycopy(b, off, buf, used, n);
                used += n;
                off += n;
                len -= n;
            }
        }

        private void flushBuffer() throws IOException {
            ensureOpen();
            if (used == 0) {
                return;
            }
            try {
                stream.send(BytesMessage.newBuilder()
                        .setData(ByteString.copyFrom(buf, 0, used))
                        .build());
            } catch (InterruptedException e) {
                stream.abort(Status.CANCELLED.withDescription("interrupted"));
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while sending to the client");
            }
            used = 0;
        }

        private void ensureOpen() throws IOException {
            if (closed) {
                throw new IOException("stream closed");
            }
        }

        /** Cancels the call: the client drops what it received. Nothing is sent after. */
        public void abort() {
            if (!closed) {
                closed = true;
                stream.abort(Status.CANCELLED.withDescription("the export failed"));
            }
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            try {
                flushBuffer();
                closed = true;
                stream.finish();
                while (stream.receive() != null) {
                    // The client sends nothing back; it ends the call with its result.
                }
            } catch (InterruptedException e) {
                stream.abort(Status.CANCELLED.withDescription("interrupted"));
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the client");
            } finally {
                closed = true;
            }
        }
    }
}
