package dev.kiln.worker.ops;

import dev.kiln.solver.Result;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.snapshot.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Input and output indexes as LLB writes them: an input -1 means scratch (no input), others index the op's inputs;
 * outputs are numbered from 0 with no gap.
 */
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

    /**
     * The op's results in output order, from the snapshots its steps wrote by output index.
     *
     * @param writer what writes an output, for the error when one is missing, e.g. "exec op has no mount for"
     */
    static List<Result> outputs(Map<Integer, Snapshot> byIndex, String writer) {
        int count = byIndex.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Snapshot snapshot = byIndex.get(i);
            if (snapshot == null) {
                throw new IllegalArgumentException(writer + " output " + i);
            }
            results.add(new SnapshotResult(snapshot));
        }
        return results;
    }
}
