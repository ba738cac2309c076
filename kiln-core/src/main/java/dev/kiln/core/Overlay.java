package dev.kiln.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The names of a layer's deletions, in their two forms: in a tar, AUFS-style {@code .wh.} files (the OCI image spec's
 * form); on disk, overlayfs's own markers (a 0/0 character device for a deleted name, an xattr on a directory that
 * hides everything below it), which is how Kiln's snapshots keep layers. kiln-oci converts between the two and
 * kiln-worker reads and writes the disk form, so both take the names from here.
 */
public final class Overlay {
    public static final String WHITEOUT_PREFIX = ".wh.";
    public static final String OPAQUE_MARKER = ".wh..wh..opq";
    /** AUFS's own bookkeeping names (.wh..wh.plnk and the like), which say nothing about the image. */
    public static final String META_PREFIX = ".wh..wh.";
    /** Overlayfs's extended attributes, which belong to its bookkeeping, not to the file. */
    public static final String XATTR_PREFIX = "trusted.overlay.";

    public static final String OPAQUE_XATTR = XATTR_PREFIX + "opaque";
    private static final byte[] OPAQUE_VALUE = "y".getBytes(StandardCharsets.US_ASCII);

    private Overlay() {}

    /** The value of {@link #OPAQUE_XATTR} that makes a directory opaque: "y", a fresh copy each time. */
    public static byte[] opaqueValue() {
        return OPAQUE_VALUE.clone();
    }

    /** Whether an {@link #OPAQUE_XATTR} value marks its directory opaque. */
    public static boolean isOpaqueValue(byte[] value) {
        return Arrays.equals(value, OPAQUE_VALUE);
    }
}
