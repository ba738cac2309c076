package dev.kiln.core;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A filter whose every byte passes through {@link #read(byte[], int, int)}: the single-byte read and
 * {@link #skip} (which reads and discards) go through it, and mark/reset are not offered, so a subclass that
 * hashes, counts or times its reads sees all of them and no byte is read twice. Subclasses implement the one
 * read; {@code available} and {@code close} go to the wrapped stream.
 */
public abstract class PassThroughInputStream extends FilterInputStream {

    protected PassThroughInputStream(InputStream in) {
        super(in);
    }

    @Override
    public abstract int read(byte[] buffer, int offset, int length) throws IOException;

    @Override
    public final int read() throws IOException {
        return BlockInputStream.readOne(this);
    }

    /** Reads and discards up to {@code n} bytes, through {@link #read(byte[], int, int)}. */
    @Override
    public final long skip(long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(16384, Math.max(n, 1))];
        long skipped = 0;
        while (skipped < n) {
            int read = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
            if (read < 0) {
                break;
            }
            skipped += read;
        }
        return skipped;
    }

    @Override
    public final boolean markSupported() {
        return false;
    }

    @Override
    public final void mark(int limit) {
        // not supported: a reset would pass bytes through twice
    }

    @Override
    public final void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }
}
