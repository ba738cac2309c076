package dev.kiln.core;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A running sha256 with a byte count: how a blob's digest and size are taken while it streams past. {@link #engine()}
 * is the one place a SHA-256 {@link MessageDigest} is made, so no caller handles an exception that cannot happen.
 */
public final class Sha256 {
    private final MessageDigest sha = engine();
    private long count;

    /** A fresh SHA-256 engine. */
    public static MessageDigest engine() {
        return Digest.engine("sha256");
    }

    public void update(byte[] data, int offset, int length) {
        sha.update(data, offset, length);
        count += length;
    }

    public void update(ByteBuffer data) {
        count += data.remaining();
        sha.update(data);
    }

    /** How many bytes went in so far. */
    public long count() {
        return count;
    }

    /** The digest of everything so far; call once, at the end. */
    public Digest digest() {
        return new Digest("sha256", HexFormat.of().formatHex(sha.digest()));
    }
}
