package dev.kiln.daemon;

import dev.kiln.api.control.DiskUsageRequest;
import dev.kiln.api.control.DiskUsageResponse;
import dev.kiln.api.control.PruneRequest;
import dev.kiln.api.control.UsageRecord;
import dev.kiln.engine.DiskUsageQuery;
import dev.kiln.engine.Engine;
import dev.kiln.engine.PruneOptions;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;

/**
 * Control.DiskUsage and Control.Prune on the engine's records. Durations arrive as Go's time.Duration does, in
 * nanoseconds; each removed record streams to the client as the prune removes it. Its translations between the wire
 * and the engine also serve {@code kiln du --no-daemon}, so both ways print the same.
 */
public final class DiskUsageService {

    private final Engine engine;

    DiskUsageService(Engine engine) {
        this.engine = engine;
    }

    void diskUsage(DiskUsageRequest request, StreamObserver<DiskUsageResponse> response) {
        try {
            DiskUsageResponse.Builder answer = DiskUsageResponse.newBuilder();
            for (dev.kiln.engine.UsageRecord record : engine.diskUsage(
                    new DiskUsageQuery(request.getFilterList(), Duration.ofNanos(request.getAgeLimit())))) {
                answer.addRecord(wire(record));
            }
            response.onNext(answer.build());
            response.onCompleted();
        } catch (IllegalArgumentException e) {
            response.onError(
                    Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (IOException e) {
            response.onError(Status.INTERNAL
                    .withDescription("disk usage: " + e.getMessage())
                    .asRuntimeException());
        }
    }

    void prune(PruneRequest request, StreamObserver<UsageRecord> response) {
        try {
            engine.prune(options(request), removed -> response.onNext(wire(removed)));
            response.onCompleted();
        } catch (IllegalArgumentException e) {
            response.onError(
                    Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (IOException e) {
            response.onError(
                    Status.INTERNAL.withDescription("prune: " + e.getMessage()).asRuntimeException());
        }
    }

    /** The prune a Control.Prune request asks for. */
    public static PruneOptions options(PruneRequest request) {
        return new PruneOptions(
                request.getAll(),
                Duration.ofNanos(request.getKeepDuration()),
                request.getFilterList(),
                request.getReservedSpace(),
                request.getMaxUsedSpace(),
                request.getMinFreeSpace());
    }

    /** A record as Control.DiskUsage and Control.Prune send it. */
    public static UsageRecord wire(dev.kiln.engine.UsageRecord record) {
        UsageRecord.Builder wire = UsageRecord.newBuilder()
                .setID(record.id())
                .setMutable(record.mutable())
                .setInUse(record.inUse())
                .setSize(record.size())
                .setCreatedAt(WireTime.of(record.createdAt()))
                .setUsageCount(record.usageCount())
                .setDescription(record.description())
                .setRecordType(record.recordType())
                .setShared(record.shared())
                .addAllParents(record.parents());
        if (record.lastUsedAt() != null) {
            wire.setLastUsedAt(WireTime.of(record.lastUsedAt()));
        }
        if (!record.parents().isEmpty()) {
            wire.setParent(record.parents().getFirst());
        }
        return wire.build();
    }
}
