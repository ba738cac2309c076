package dev.kiln.engine.gateway;

import dev.kiln.core.GoQuoted;
import dev.kiln.solver.ShortText;
import dev.kiln.solver.SolveException;
import dev.kiln.worker.ops.ExecFailedException;
import dev.kiln.worker.ops.FailedStep;
import java.util.Optional;

/**
 * A step of the build that failed, as BuildKit reports it: the message is the cause's own (a RUN step's reads
 * {@code process "/bin/sh -c make" did not complete successfully: exit code: 2}), and the step's digest and the
 * Dockerfile lines it came from travel beside it (BuildKit's errdefs.Vertex and errdefs.Source) for a client to
 * show, rather than inside the text. The step's output is not repeated: the build's progress showed it.
 */
public final class VertexFailure extends Exception implements FailedSource.Located {

    private final String vertexDigest;
    private final transient FailedSource source;

    private VertexFailure(String message, SolveException failure, String vertexDigest, FailedSource source) {
        super(message, failure);
        this.vertexDigest = vertexDigest;
        this.source = source;
    }

    /** The failure of {@code failure}'s vertex, its source found in {@code graphs}'s source maps if they have it. */
    static VertexFailure of(SolveException failure, String vertexDigest, java.util.List<dev.kiln.llb.LlbGraph> graphs) {
        return new VertexFailure(
                message(failure),
                failure,
                vertexDigest,
                FailedSource.of(vertexDigest, graphs).orElse(null));
    }

    /** The failed vertex's failure in {@code error}'s causes, if a vertex's failure is behind it. */
    public static Optional<VertexFailure> in(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof VertexFailure failure) {
                return Optional.of(failure);
            }
        }
        return Optional.empty();
    }

    /** The digest of the op that failed. */
    public String vertexDigest() {
        return vertexDigest;
    }

    /** Where the op was written, when the definition's source map says. */
    @Override
    public Optional<FailedSource> source() {
        return Optional.ofNullable(source);
    }

    private static String message(SolveException failure) {
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof ExecFailedException exec) {
                FailedStep step = exec.step();
                String command = String.join(" ", step.exec().getMeta().getArgsList());
                return "process " + GoQuoted.of(ShortText.of(command)) + " did not complete successfully: exit code: "
                        + exec.exitCode();
            }
        }
        Throwable cause = failure.getCause() == null ? failure : failure.getCause();
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}
