package dev.kiln.oci.layer;

import dev.kiln.core.Sha256;
import java.io.IOException;
import java.io.InputStream;

/** Passes a stream through while hashing every byte read; skipping reads too, so nothing escapes the digest. */
final class HashingInputStream extends InputStream {
  private final InputStream in;
  private final Sha256 sha = new Sha256();

  HashingInputStream(InputStream in) {
    this.in = in;
  }

  Sha256 sha() {
    return sha;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = in.read(buffer, offset, length);
    if (n > 0) {
      sha.update(buffer, offset, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] scratch = new byte[(int) Math.min(16384, Math.max(n, 1))];
    long skipped = 0;
    while (skipped < n) {
      int read = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
      if (read < 0) {
        break;
      }
      skipped += read;
    }
    return skipped;
  }

  /** Reads to the end, so the digest covers the whole stream (tar padding, trailing compressed frames). */
  void drain() throws IOException {
    byte[] scratch = new byte[65536];
    while (read(scratch, 0, scratch.length) >= 0) {
      // only the hashing matters
    }
  }

  @Override
  public int available() throws IOException {
    return in.available();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
