package dev.kiln.worker.ops;

import dev.kiln.llb.pb.Op;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.util.List;

/** MergeOp: the inputs' filesystems stacked in order, later ones on top; on overlay no file is copied. */
public record MergeOperation(Op op, Snapshotter snapshotter) implements InputKeyedOperation {

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        List<Snapshot> layers = op.getMerge().getInputsList().stream()
                .map(input -> Inputs.snapshot(inputs, input.getInput(), "merge input"))
                .toList();
        return List.of(new SnapshotResult(snapshotter.merge(layers)));
    }
}
