package dev.kiln.core;

import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream whose every byte comes through {@link #read(byte[], int, int)}: a single-byte read is that read of
 * one byte, so a subclass that limits, counts or checks what it reads does it in one place.
 */
public abstract class BlockInputStream extends InputStream {

    @Override
    public abstract int read(byte[] buffer, int offset, int length) throws IOException;

    @Override
    public final int read() throws IOException {
        return readOne(this);
    }

    /** One byte by way of {@code in}'s block read, or -1 at its end. */
    static int readOne(InputStream in) throws IOException {
        byte[] one = new byte[1];
        return in.read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }
}
