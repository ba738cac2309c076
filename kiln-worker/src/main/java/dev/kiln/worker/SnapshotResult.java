package dev.kiln.worker;

import dev.kiln.solver.Result;
import dev.kiln.worker.snapshot.Snapshot;
import java.io.IOException;
import java.io.UncheckedIOException;

/** An op's output as the solver holds it: a committed snapshot, persisted under its id. */
public record SnapshotResult(Snapshot snapshot) implements Result {

    public static final SnapshotResult SCRATCH = new SnapshotResult(Snapshot.SCRATCH);

    @Override
    public String id() {
        return snapshot.id();
    }

    /**
     * The snapshot behind a solver result; every result this worker hands out is one, or a deferred one, which this
     * makes (unpacks) on the first call.
     *
     * @throws UncheckedIOException when a deferred result's snapshot cannot be made
     */
    public static Snapshot of(Result result) {
        if (result instanceof SnapshotResult(Snapshot snapshot)) {
            return snapshot;
        }
        if (result instanceof DeferredSnapshotResult deferred) {
            try {
                return deferred.snapshot();
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("result " + result.id() + " was not made by this worker");
    }
}
