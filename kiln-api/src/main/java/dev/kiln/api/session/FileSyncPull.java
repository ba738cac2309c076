package dev.kiln.api.session;

import io.grpc.Channel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Daemon role of FileSync.DiffCopy: receives a client directory into a target directory, incrementally. Files
 * whose stat (type, mode, owner, size, mtime) is unchanged from an earlier pull into the same target are kept
 * without asking for their content; files the client no longer sends are removed.
 */
public final class FileSyncPull {

  /** What a pull did: the entries the client sent and the file content bytes received. */
  public record Transfer(long files, long bytesReceived) {}

  private FileSyncPull() {}

  /**
   * Pulls the client's directory {@code dirName} into {@code target} (created if absent). A path that would
   * escape the target, or any other protocol violation, is an IOException naming the path; the client's own
   * errors (unknown directory, unreadable file) are IOExceptions with its message.
   */
  public static Transfer pull(Channel channel, String dirName, FileFilter filter, Path target)
      throws IOException, InterruptedException {
    throw new UnsupportedOperationException("not yet");
  }
}
