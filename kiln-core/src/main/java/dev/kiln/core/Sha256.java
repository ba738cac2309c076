package dev.kiln.core;

import dev.kiln.core.sys.NativeSha256;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A running sha256 with a byte count: how a blob's digest and size are taken while it streams past. {@link #engine()}
 * is the one place a SHA-256 {@link MessageDigest} is made, so no caller handles an exception that cannot happen.
 */
public final class Sha256 {
    /** Set once by a process that runs at the JIT's first tier, before it hashes (see {@link #preferNative}). */
    private static volatile boolean preferNative;

    private final MessageDigest sha = engine();
    private long count;

    /**
     * Makes {@link #engine()} use libcrypto ({@link NativeSha256}) where it can be loaded. The daemon asks for it: it
     * runs at the JIT's first tier, where the JDK's SHA-256 is plain Java, ten times slower than libcrypto. Short-lived
     * commands do not: binding the native calls costs some 60 ms of CPU in a fresh JVM, more than they hash.
     */
    public static void preferNative() {
        preferNative = true;
    }

    /** A fresh SHA-256 engine. */
    public static MessageDigest engine() {
        if (preferNative) {
            Optional<MessageDigest> sha = NativeSha256.available();
            if (sha.isPresent()) {
                return sha.get();
            }
        }
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides SHA-256", e);
        }
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
