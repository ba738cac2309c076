package dev.kiln.worker.ops;

import dev.kiln.llb.pb.Op;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.util.List;

/** DiffOp: what changed from the lower input to the upper one, deletions kept as whiteouts. */
public record DiffOperation(Op op, Snapshotter snapshotter) implements InputKeyedOperation {

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        Snapshot lower = op.getDiff().hasLower()
                ? Inputs.snapshot(inputs, op.getDiff().getLower().getInput(), "diff lower")
                : Snapshot.SCRATCH;
        Snapshot upper = op.getDiff().hasUpper()
                ? Inputs.snapshot(inputs, op.getDiff().getUpper().getInput(), "diff upper")
                : Snapshot.SCRATCH;
        return List.of(new SnapshotResult(snapshotter.diff(lower, upper)));
    }
}
