package dev.kiln.core;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An output stream whose every byte goes through {@link #write(byte[], int, int)}: a single-byte write is that write
 * of one byte, so a subclass that hashes, counts or checks what it is given does it in one place.
 */
public abstract class BlockOutputStream extends OutputStream {

    @Override
    public abstract void write(byte[] bytes, int offset, int length) throws IOException;

    @Override
    public final void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }
}
