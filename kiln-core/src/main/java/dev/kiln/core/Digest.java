package dev.kiln.core;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * A content address in the OCI form {@code algorithm:hex}, for example
 * {@code sha256:2c26b46b...}. Ops, blobs and cache keys are all named by one.
 */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {

    /** Hex length of each algorithm go-digest accepts; anything else is rejected. */
    private static final Map<String, Integer> HEX_LENGTHS = Map.of("sha256", 64, "sha384", 96, "sha512", 128);

    public Digest {
        if (algorithm == null || hex == null) {
            throw new IllegalArgumentException("a digest needs an algorithm and a hex value");
        }
        Integer length = HEX_LENGTHS.get(algorithm);
        if (length == null) {
            throw new IllegalArgumentException(
                    "unsupported digest algorithm \"" + algorithm + "\" (expected sha256, sha384 or sha512)");
        }
        if (hex.length() != length) {
            throw new IllegalArgumentException(
                    algorithm + " digest must have " + length + " hex digits, not " + hex.length());
        }
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                throw new IllegalArgumentException(
                        "digest hex must be lowercase hexadecimal, found '" + c + "' at position " + i);
            }
        }
    }

    /** The sha256 digest of {@code data}. */
    public static Digest sha256(byte[] data) {
        return new Digest("sha256", HexFormat.of().formatHex(Sha256.engine().digest(data)));
    }

    /**
     * The sha256 digest of the bytes {@code data} has left, without copying them: a protobuf ByteString's
     * {@code asReadOnlyByteBuffer()}, say, which this module cannot name because it depends on nothing.
     */
    public static Digest sha256(ByteBuffer data) {
        Sha256 sha = new Sha256();
        sha.update(data);
        return sha.digest();
    }

    /**
     * A fresh hash engine for {@code algorithm} ("sha256", "sha384" or "sha512"), to digest content as it streams.
     *
     * @throws IllegalArgumentException for any other algorithm
     */
    public static MessageDigest engine(String algorithm) {
        if (algorithm.equals("sha256")) {
            return Sha256.engine();
        }
        String name = switch (algorithm) {
            case "sha384" -> "SHA-384";
            case "sha512" -> "SHA-512";
            default -> throw new IllegalArgumentException("unsupported digest algorithm \"" + algorithm + "\"");
        };
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides " + name, e);
        }
    }

    /**
     * Parses {@code algorithm:hex}.
     *
     * @throws IllegalArgumentException naming what is wrong with {@code text}
     */
    public static Digest parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty digest (expected \"sha256:<64 hex digits>\")");
        }
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("invalid digest \"" + text
                    + "\": missing the algorithm prefix (expected \"sha256:<64 hex digits>\")");
        }
        try {
            return new Digest(text.substring(0, colon), text.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid digest \"" + text + "\": " + e.getMessage(), e);
        }
    }

    @Override
    public int compareTo(Digest other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
