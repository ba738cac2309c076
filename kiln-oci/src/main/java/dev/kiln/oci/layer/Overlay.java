package dev.kiln.oci.layer;

import java.nio.charset.StandardCharsets;

/**
 * The two ways of writing a layer's deletions: in a tar, AUFS-style {@code .wh.} files (the OCI image spec's form);
 * on disk, overlayfs's own markers (a 0/0 character device for a deleted name, an xattr on a directory that hides
 * everything below it), which is how Kiln's snapshots keep layers.
 */
final class Overlay {
  static final String WHITEOUT_PREFIX = ".wh.";
  static final String OPAQUE_MARKER = ".wh..wh..opq";
  /** AUFS's own bookkeeping names (.wh..wh.plnk and the like), which say nothing about the image. */
  static final String META_PREFIX = ".wh..wh.";
  static final String XATTR_PREFIX = "trusted.overlay.";
  static final String OPAQUE_XATTR = XATTR_PREFIX + "opaque";
  static final byte[] OPAQUE_VALUE = "y".getBytes(StandardCharsets.US_ASCII);

  private Overlay() {}

  static boolean isWhiteout(int mode, long rdev) {
    return (mode & NativeFiles.S_IFMT) == NativeFiles.S_IFCHR && rdev == 0;
  }
}
