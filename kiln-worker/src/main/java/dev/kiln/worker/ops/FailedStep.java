package dev.kiln.worker.ops;

import dev.kiln.llb.pb.ExecOp;
import dev.kiln.worker.snapshot.Snapshot;
import java.util.List;

/**
 * A RUN step as it was when its process failed: its root filesystem with the changes the process
 * made (kept as a snapshot), the exec op (process settings and mounts) and the snapshots of the
 * op's inputs, so a debug shell can be opened in the same container the step ran in.
 */
public record FailedStep(Snapshot root, ExecOp exec, List<Snapshot> inputs) {

    public FailedStep {
        inputs = List.copyOf(inputs);
    }
}
