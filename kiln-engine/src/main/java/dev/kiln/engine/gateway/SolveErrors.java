package dev.kiln.engine.gateway;

import dev.kiln.core.Digest;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.SolveError;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.LlbVertex;
import dev.kiln.llb.pb.Mount;
import dev.kiln.llb.pb.MountType;
import dev.kiln.llb.pb.Op;
import dev.kiln.solver.SolveException;
import dev.kiln.worker.ops.ExecFailedException;
import dev.kiln.worker.ops.FailedStep;
import dev.kiln.worker.snapshot.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The gateway error of a failed solve, a failed vertex's read as BuildKit's ({@link VertexFailure}). When a RUN step's process failed, it is a {@link SolveError} whose references
 * are that step's files (its root as the process left it, its inputs as they were), kept until the build ends so that
 * a client can open a container on them, as BuildKit's gateway keeps an ExecError's results.
 */
final class SolveErrors {

    private SolveErrors() {}

    static GatewayException of(BuildContext build, SolveException failure, List<LlbGraph> graphs) {
        // a failed vertex is reported as BuildKit does: its cause's message, its source beside it
        Throwable cause = failure.vertexDigest()
                .<Throwable>map(digest -> VertexFailure.of(failure, digest, graphs))
                .orElse(failure);
        String message = cause.getMessage();
        FailedStep step = ExecFailedException.stepOf(failure);
        if (step == null) {
            return new GatewayException(message, cause);
        }
        build.failures().add(step);
        String name = failure.vertexName().orElse("the failed step");
        Op op = failure.vertexDigest()
                .flatMap(digest -> vertex(graphs, digest))
                .map(LlbVertex::op)
                .orElseGet(() -> Op.newBuilder().setExec(step.exec()).build());
        List<Reference> inputs = new ArrayList<>();
        for (Snapshot input : step.inputs()) {
            inputs.add(input.isScratch() ? null : new SnapshotReference(build, input, "an input of " + name));
        }
        List<Reference> mounts = new ArrayList<>();
        for (Mount mount : step.exec().getMountsList()) {
            if (mount.getDest().equals("/")) {
                mounts.add(
                        new SnapshotReference(build, step.root(), "the root of " + name + " as its process left it"));
            } else if (mount.getMountType() == MountType.BIND
                    && mount.getInput() >= 0
                    && mount.getInput() < inputs.size()) {
                mounts.add(inputs.get((int) mount.getInput()));
            } else {
                mounts.add(null);
            }
        }
        return new SolveError(message, cause, op, inputs, mounts, Map.of(LlbVertex.CUSTOM_NAME, name));
    }

    private static Optional<LlbVertex> vertex(List<LlbGraph> graphs, String digest) {
        Digest wanted;
        try {
            wanted = Digest.parse(digest);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        for (LlbGraph graph : graphs) {
            Optional<LlbVertex> vertex = graph.vertex(wanted);
            if (vertex.isPresent()) {
                return vertex;
            }
        }
        return Optional.empty();
    }
}
