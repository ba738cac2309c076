package dev.kiln.api.session;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import java.nio.file.Path;
import java.util.Map;

/**
 * Client role of FileSync.DiffCopy (BuildKit's fsSyncProvider): sends the named directories to the daemon as
 * fsutil packets, filtered by the include/exclude patterns and follow paths of the call's metadata.
 */
public final class FileSyncService implements BindableService {

  private final Map<String, Path> dirs;

  /** {@code dirs}: the directories the daemon may read, by the name it asks for ("context", "dockerfile"). */
  public FileSyncService(Map<String, Path> dirs) {
    this.dirs = Map.copyOf(dirs);
  }

  @Override
  public ServerServiceDefinition bindService() {
    throw new UnsupportedOperationException("not yet");
  }
}
