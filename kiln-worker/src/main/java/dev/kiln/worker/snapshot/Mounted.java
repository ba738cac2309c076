package dev.kiln.worker.snapshot;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A snapshot's content at a path, for reading (bind mounts of other refs, diffs, exports). The content must not be
 * modified: depending on the snapshotter it may share files with the snapshot's layers. Close it when done.
 */
public final class Mounted implements AutoCloseable {
  @FunctionalInterface
  interface Release {
    void run() throws IOException;
  }

  private final Snapshot snapshot;
  private final Path path;
  private final Release release;
  private boolean closed;

  Mounted(Snapshot snapshot, Path path, Release release) {
    this.snapshot = snapshot;
    this.path = path;
    this.release = release;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  public Path path() {
    return path;
  }

  @Override
  public synchronized void close() throws IOException {
    if (!closed) {
      closed = true;
      release.run();
    }
  }
}
