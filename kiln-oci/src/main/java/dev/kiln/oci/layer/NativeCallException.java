package dev.kiln.oci.layer;

import java.io.IOException;

/** A failed system call with the errno the kernel gave, so callers can tell "not permitted" from real failures. */
final class NativeCallException extends IOException {
  private final int errno;

  NativeCallException(String message, int errno) {
    super(message);
    this.errno = errno;
  }

  boolean notPermitted() {
    return errno == NativeFiles.EPERM || errno == NativeFiles.EACCES || errno == NativeFiles.EOPNOTSUPP;
  }
}
