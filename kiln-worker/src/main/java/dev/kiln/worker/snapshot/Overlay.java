package dev.kiln.worker.snapshot;

import dev.kiln.worker.sys.PosixFiles;
import dev.kiln.worker.sys.Xattrs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/** Overlayfs's markers in a layer: whiteouts for deletions and the opaque attribute for replaced directories. */
final class Overlay {
  static final String XATTR_PREFIX = "trusted.overlay.";
  static final String OPAQUE = XATTR_PREFIX + "opaque";
  private static final byte[] YES = "y".getBytes(StandardCharsets.US_ASCII);

  private Overlay() {}

  static boolean isWhiteout(FileInfo info) {
    return info.type() == PosixFiles.S_IFCHR && info.rdev() == 0;
  }

  static void makeWhiteout(Path path) throws IOException {
    PosixFiles.mknod(path, PosixFiles.S_IFCHR, PosixFiles.makedev(0, 0));
  }

  static boolean isOpaque(Path directory) throws IOException {
    return Xattrs.get(directory, OPAQUE).map(value -> Arrays.equals(value, YES)).orElse(false);
  }

  static void makeOpaque(Path directory) throws IOException {
    Xattrs.set(directory, OPAQUE, YES);
  }

  /** Attributes that belong to overlayfs's bookkeeping, not to the file. */
  static boolean isOverlayAttribute(String name) {
    return name.startsWith(XATTR_PREFIX);
  }
}
