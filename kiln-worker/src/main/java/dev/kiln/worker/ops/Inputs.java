package dev.kiln.worker.ops;

import dev.kiln.solver.Result;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.snapshot.Snapshot;
import java.util.List;

/** Input indexes as LLB writes them: -1 means scratch (no input), others index the op's inputs. */
final class Inputs {

    private Inputs() {}

    static Snapshot snapshot(List<Result> inputs, long index, String what) {
        if (index < 0) {
            return Snapshot.SCRATCH;
        }
        if (index >= inputs.size()) {
            throw new IllegalArgumentException(what + " refers to input " + index + " but the op has " + inputs.size());
        }
        return SnapshotResult.of(inputs.get((int) index));
    }
}
