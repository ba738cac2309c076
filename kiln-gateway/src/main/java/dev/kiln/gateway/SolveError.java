package dev.kiln.gateway;

import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.Op;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A solve that failed at one step, with what it takes to look into that step, as BuildKit's errdefs.SolveError: the
 * step's op, its inputs as they were before it ran, and its mounts as its process left them. A debugger opens a
 * container on {@link #mounts()} with the op's process settings ({@link #exec()}) to see the files the failing
 * command saw, as {@code buildx debug} and {@code kiln build --on-error shell} do.
 *
 * <p>The references are the client's like any other: readable, and mountable into {@link Client#newContainer}.
 */
public final class SolveError extends GatewayException {

    private final transient Op op;
    private final transient List<Reference> inputs;
    private final transient List<Reference> mounts;
    private final transient Map<String, String> description;

    /**
     * @param op          the failed step's op
     * @param inputs      its inputs, in the op's input order (null for a scratch input)
     * @param mounts      for an exec, its mounts in the op's mount order as the process left them (a read-only
     *                    mount is its input; null where a mount keeps nothing: tmpfs, cache, secret, ssh); empty
     *                    for other ops
     * @param description the step's description (its name under {@code llb.customname}, ...)
     */
    public SolveError(
            String message,
            Throwable cause,
            Op op,
            List<Reference> inputs,
            List<Reference> mounts,
            Map<String, String> description) {
        super(message, cause);
        this.op = op;
        this.inputs = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(inputs));
        this.mounts = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(mounts));
        this.description = Map.copyOf(description);
    }

    public Op op() {
        return op;
    }

    /** The failed step's process, when it ran one (a RUN step). */
    public Optional<ExecOp> exec() {
        return op.hasExec() ? Optional.of(op.getExec()) : Optional.empty();
    }

    public List<Reference> inputs() {
        return inputs;
    }

    public List<Reference> mounts() {
        return mounts;
    }

    public Map<String, String> description() {
        return description;
    }
}
