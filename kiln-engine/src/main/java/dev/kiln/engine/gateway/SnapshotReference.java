package dev.kiln.engine.gateway;

import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.ReadDirRequest;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Stat;
import dev.kiln.gateway.StatRequest;
import dev.kiln.llb.State;
import dev.kiln.worker.ReadOnlyView;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.snapshot.Snapshot;
import java.io.IOException;
import java.util.List;

/**
 * A reference to files no graph describes: what a failed step's process left behind, or an input it had
 * ({@link SolveErrors}). It reads like any reference and mounts into a container; it has no LLB to build on. A
 * value: what it refers to is all it holds.
 */
record SnapshotReference(BuildContext build, Snapshot snapshot, String description) implements Reference {

    @Override
    public State toState() {
        throw new GatewayException(description + " has no definition to build on; mount it into a container instead");
    }

    @Override
    public void evaluate() {
        // the files exist already
    }

    @Override
    public byte[] readFile(ReadRequest request) throws InterruptedException {
        return ReferenceFiles.readFile(this::open, request, " of " + description);
    }

    @Override
    public Stat statFile(StatRequest request) throws InterruptedException {
        return ReferenceFiles.statFile(this::open, request, " of " + description);
    }

    @Override
    public List<Stat> readDir(ReadDirRequest request) throws InterruptedException {
        return ReferenceFiles.readDir(this::open, request, " of " + description);
    }

    private ReadOnlyView open() throws InterruptedException {
        try {
            // only the gateway's reads use it: a snapshot of one layer is read in place
            return build.worker().read(new SnapshotResult(snapshot));
        } catch (IOException e) {
            throw new GatewayException("open " + description + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "ref(" + description + ")";
    }
}
