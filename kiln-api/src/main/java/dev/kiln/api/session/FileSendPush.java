package dev.kiln.api.session;

import io.grpc.Channel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Daemon role of FileSend.DiffCopy (BuildKit's CopyFileWriter and CopyToCaller): pushes an export to the
 * client, as a byte stream for a file or as fsutil packets for a directory. {@code exporterId} is the
 * exporter's index in SolveRequest.Exporters, which the client uses to choose the target.
 */
public final class FileSendPush {

  private FileSendPush() {}

  /**
   * A stream to a file target of the client; each {@code exporterMetadata} entry is sent as an
   * "exporter-md-KEY" header. {@link OutputStream#close()} half-closes and waits for the client to finish,
   * throwing an IOException with the client's error.
   */
  public static OutputStream openFile(Channel channel, int exporterId, Map<String, String> exporterMetadata)
      throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Sends {@code dir} to a directory target of the client (fsutil sender) and waits for it to finish. */
  public static void sendDirectory(Channel channel, int exporterId, Path dir)
      throws IOException, InterruptedException {
    throw new UnsupportedOperationException("not yet");
  }
}
