package dev.kiln.oci.layer;

import dev.kiln.llb.Digest;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A running sha256 with a byte count: how a blob's digest and size are taken while it streams past. */
final class Sha256 {
  private final MessageDigest sha;
  private long count;

  Sha256() {
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always provides SHA-256", e);
    }
  }

  void update(byte[] data, int offset, int length) {
    sha.update(data, offset, length);
    count += length;
  }

  long count() {
    return count;
  }

  /** The digest of everything so far; call once, at the end. */
  Digest digest() {
    return new Digest("sha256", HexFormat.of().formatHex(sha.digest()));
  }
}
