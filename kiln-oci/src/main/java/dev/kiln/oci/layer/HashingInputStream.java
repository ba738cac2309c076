package dev.kiln.oci.layer;

import dev.kiln.core.PassThroughInputStream;
import dev.kiln.core.Sha256;
import java.io.IOException;
import java.io.InputStream;

/** Passes a stream through while hashing every byte read; skipping reads too, so nothing escapes the digest. */
final class HashingInputStream extends PassThroughInputStream {
    private final Sha256 sha = new Sha256();

    HashingInputStream(InputStream in) {
        super(in);
    }

    Sha256 sha() {
        return sha;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = in.read(buffer, offset, length);
        if (n > 0) {
            sha.update(buffer, offset, n);
        }
        return n;
    }

    /** Reads to the end, so the digest covers the whole stream (tar padding, trailing compressed frames). */
    void drain() throws IOException {
        byte[] scratch = new byte[65536];
        while (read(scratch, 0, scratch.length) >= 0) {
            // only the hashing matters
        }
    }
}
