package dev.kiln.api.session;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import java.util.Map;

/**
 * Client role of FileSend.DiffCopy (BuildKit's SyncTarget): receives the exports the daemon pushes, each into
 * the {@link FileTarget} registered for its exporter index.
 */
public final class FileSendService implements BindableService {

  private final Map<Integer, FileTarget> targets;

  /** {@code targets}: by exporter index in SolveRequest.Exporters. */
  public FileSendService(Map<Integer, FileTarget> targets) {
    this.targets = Map.copyOf(targets);
  }

  @Override
  public ServerServiceDefinition bindService() {
    throw new UnsupportedOperationException("not yet");
  }
}
