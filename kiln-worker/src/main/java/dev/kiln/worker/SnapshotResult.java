package dev.kiln.worker;

import dev.kiln.solver.Result;
import dev.kiln.worker.snapshot.Snapshot;

/** An op's output as the solver holds it: a committed snapshot, persisted under its id. */
public record SnapshotResult(Snapshot snapshot) implements Result {

    public static final SnapshotResult SCRATCH = new SnapshotResult(Snapshot.SCRATCH);

    @Override
    public String id() {
        return snapshot.id();
    }

    /** The snapshot behind a solver result; every result this worker hands out is one. */
    public static Snapshot of(Result result) {
        if (result instanceof SnapshotResult(Snapshot snapshot)) {
            return snapshot;
        }
        throw new IllegalArgumentException("result " + result.id() + " was not made by this worker");
    }
}
