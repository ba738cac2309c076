package dev.kiln.daemon;

import dev.kiln.api.control.DiskUsageRequest;
import dev.kiln.api.control.DiskUsageResponse;
import dev.kiln.api.control.PruneRequest;
import dev.kiln.api.control.UsageRecord;
import dev.kiln.engine.Engine;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** Control.DiskUsage and Control.Prune on the engine's records. */
final class DiskUsageService {

    private final Engine engine;

    DiskUsageService(Engine engine) {
        this.engine = engine;
    }

    void diskUsage(DiskUsageRequest request, StreamObserver<DiskUsageResponse> response) {
        response.onError(Status.UNIMPLEMENTED.withDescription("disk usage is not reported yet").asRuntimeException());
    }

    void prune(PruneRequest request, StreamObserver<UsageRecord> response) {
        response.onError(Status.UNIMPLEMENTED.withDescription("prune is not available yet").asRuntimeException());
    }
}
