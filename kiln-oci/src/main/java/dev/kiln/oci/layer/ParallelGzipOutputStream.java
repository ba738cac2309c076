package dev.kiln.oci.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip the way pigz does it: the input is cut into fixed-size blocks, each deflated on its own virtual thread
 * with the previous block's last 32 KiB as its dictionary and ended by a sync flush, and the pieces are written in
 * order as one deflate stream in one gzip member. Block boundaries depend only on byte offsets, so the output is
 * the same on every run and machine; it differs from single-threaded gzip's by the few bytes each flush costs.
 */
final class ParallelGzipOutputStream extends OutputStream {
    static final int BLOCK_SIZE = 256 * 1024;
    private static final int WINDOW = 32 * 1024;
    /** gzip header: deflate, no name, no mtime, no extra flags, OS unknown; as Go's compress/gzip writes it. */
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    private final OutputStream out;
    private final int level;
    private final int maxPending;
    private final ExecutorService compressors = Executors.newVirtualThreadPerTaskExecutor();
    private final Deque<Future<byte[]>> pending = new ArrayDeque<>();
    private final CRC32 crc = new CRC32();
    private long length;
    private byte[] block = new byte[BLOCK_SIZE];
    private int filled;
    private byte[] previous;
    private boolean finished;

    ParallelGzipOutputStream(OutputStream out, int level) throws IOException {
        this.out = out;
        this.level = level;
        // Enough blocks in flight to keep every core busy while the oldest is written; also what bounds memory.
        this.maxPending = 2 * Runtime.getRuntime().availableProcessors();
        out.write(HEADER);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] data, int offset, int count) throws IOException {
        if (finished) {
            throw new IOException("gzip stream already finished");
        }
        crc.update(data, offset, count);
        length += count;
        while (count > 0) {
            int n = Math.min(count, BLOCK_SIZE - filled);
            System.arraycopy(data, offset, block, filled, n);
            filled += n;
            offset += n;
            count -= n;
            if (filled == BLOCK_SIZE) {
                submit(false);
            }
        }
    }

    /** Compresses what is left, writes the trailer; the stream below stays open. */
    void finish() throws IOException {
        if (finished) {
            return;
        }
        submit(true);
        while (!pending.isEmpty()) {
            writeOldest();
        }
        finished = true;
        writeIntLittleEndian(crc.getValue());
        writeIntLittleEndian(length);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        try {
            finish();
            out.close();
        } finally {
            pending.forEach(future -> future.cancel(true));
            compressors.shutdownNow();
        }
    }

    private void submit(boolean last) throws IOException {
        byte[] data = block;
        int size = filled;
        byte[] dictionary = previous;
        pending.add(compressors.submit(() -> deflate(data, size, dictionary, last)));
        previous = size == BLOCK_SIZE ? data : null;
        block = new byte[BLOCK_SIZE];
        filled = 0;
        while (pending.size() > maxPending) {
            writeOldest();
        }
    }

    private byte[] deflate(byte[] data, int size, byte[] dictionary, boolean last) {
        Deflater deflater = new Deflater(level, true);
        try {
            if (dictionary != null) {
                deflater.setDictionary(dictionary, dictionary.length - WINDOW, WINDOW);
            }
            deflater.setInput(data, 0, size);
            ByteArrayOutputStream compressed = new ByteArrayOutputStream(size / 2 + 64);
            byte[] buffer = new byte[65536];
            if (last) {
                deflater.finish();
                while (!deflater.finished()) {
                    compressed.write(buffer, 0, deflater.deflate(buffer));
                }
            } else {
                // A sync flush ends the piece on a byte boundary, so the next piece can simply follow it.
                int n;
                do {
                    n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
                    compressed.write(buffer, 0, n);
                } while (n == buffer.length);
            }
            return compressed.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private void writeOldest() throws IOException {
        Future<byte[]> oldest = pending.removeFirst();
        try {
            out.write(oldest.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing a layer");
        } catch (ExecutionException e) {
            throw new IOException("compressing a layer block failed", e.getCause());
        }
    }

    private void writeIntLittleEndian(long value) throws IOException {
        out.write(new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)});
    }
}
