package dev.kiln.oci.content;

import dev.kiln.core.Digest;
import java.io.IOException;

/**
 * Content that is not what its descriptor says: a different digest, or a different size. Nothing was stored.
 */
public final class DigestMismatchException extends IOException {
    private final Digest expectedDigest;
    private final long expectedSize;
    private final Digest actualDigest;
    private final long actualSize;

    public DigestMismatchException(
            String message, Digest expectedDigest, long expectedSize, Digest actualDigest, long actualSize) {
        super(message);
        this.expectedDigest = expectedDigest;
        this.expectedSize = expectedSize;
        this.actualDigest = actualDigest;
        this.actualSize = actualSize;
    }

    static DigestMismatchException of(Digest expectedDigest, long expectedSize, Digest actualDigest, long actualSize) {
        String expected = (expectedDigest == null ? "" : expectedDigest + " ")
                + (expectedSize < 0 ? "" : "(" + expectedSize + " bytes)");
        String actual = (actualDigest == null ? "" : actualDigest + " ") + "(" + actualSize + " bytes)";
        String what = expectedDigest != null && actualDigest != null && !expectedDigest.equals(actualDigest)
                ? "content does not match its digest"
                : "content does not have the expected size";
        return new DigestMismatchException(
                "blob " + (expectedDigest == null ? "" : expectedDigest + " ") + "refused: " + what + ": expected "
                        + expected.trim() + ", got " + actual.trim(),
                expectedDigest,
                expectedSize,
                actualDigest,
                actualSize);
    }

    /** The digest the content should have had, or null when only its size was known. */
    public Digest expectedDigest() {
        return expectedDigest;
    }

    /** The size it should have had, or -1 when unknown. */
    public long expectedSize() {
        return expectedSize;
    }

    /** The digest of what arrived, or null when it was refused before it was complete (too long). */
    public Digest actualDigest() {
        return actualDigest;
    }

    /** How many bytes arrived (at least, when refused early). */
    public long actualSize() {
        return actualSize;
    }
}
