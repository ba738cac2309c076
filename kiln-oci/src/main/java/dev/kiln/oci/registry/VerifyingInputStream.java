package dev.kiln.oci.registry;

import dev.kiln.core.Digest;
import dev.kiln.core.PassThroughInputStream;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.content.DigestMismatchException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A blob's bytes as they arrive, hashed on the way: reading past the descriptor's size, or reaching the end with
 * the wrong digest or size, throws {@link DigestMismatchException}, so a consumer that reads to the end never
 * accepts content that is not what the descriptor names.
 */
final class VerifyingInputStream extends PassThroughInputStream {
    private final Descriptor blob;
    private final String context;
    private final MessageDigest hash;
    private long count;
    private boolean verified;

    VerifyingInputStream(InputStream in, Descriptor blob, String context) {
        super(in);
        this.blob = blob;
        this.context = context;
        this.hash = Digest.engine(blob.digest().algorithm());
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int read = in.read(buffer, offset, length);
        if (read < 0) {
            verify();
            return -1;
        }
        hash.update(buffer, offset, read);
        count += read;
        if (count > blob.size()) {
            throw mismatch(null);
        }
        return read;
    }

    private void verify() throws IOException {
        if (verified) {
            return;
        }
        verified = true;
        Digest actual = new Digest(blob.digest().algorithm(), HexFormat.of().formatHex(hash.digest()));
        if (!actual.equals(blob.digest()) || count != blob.size()) {
            throw mismatch(actual);
        }
    }

    private DigestMismatchException mismatch(Digest actual) {
        String what = actual == null
                ? "more than " + blob.size() + " bytes arrived"
                : "content does not match its digest: expected " + blob.digest() + " (" + blob.size() + " bytes), got "
                        + actual + " (" + count + " bytes)";
        return new DigestMismatchException(
                context + ": blob " + blob.digest() + " refused: " + what, blob.digest(), blob.size(), actual, count);
    }
}
