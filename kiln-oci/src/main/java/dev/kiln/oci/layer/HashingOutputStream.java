package dev.kiln.oci.layer;

import dev.kiln.core.BlockOutputStream;
import dev.kiln.core.Sha256;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes bytes through while hashing them. Closing it does not close the stream below: the writer finishes its own
 * compressors, and the caller's output stays the caller's to close.
 */
final class HashingOutputStream extends BlockOutputStream {
    private final OutputStream out;
    private final Sha256 sha = new Sha256();

    HashingOutputStream(OutputStream out) {
        this.out = out;
    }

    Sha256 sha() {
        return sha;
    }

    @Override
    public void write(byte[] buffer, int offset, int length) throws IOException {
        out.write(buffer, offset, length);
        sha.update(buffer, offset, length);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.flush();
    }
}
