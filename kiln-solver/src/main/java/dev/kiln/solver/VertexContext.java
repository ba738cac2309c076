package dev.kiln.solver;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/** The {@link OperationContext} of one vertex evaluation: what the op says becomes that vertex's progress events. */
record VertexContext(VertexEvaluation evaluation, Vertex vertex) implements OperationContext {

    @Override
    public String vertexDigest() {
        return vertex.digest();
    }

    @Override
    public String vertexName() {
        return vertex.name();
    }

    @Override
    public void log(int stream, byte[] data, int offset, int length) {
        if (stream != 1 && stream != 2) {
            throw new IllegalArgumentException(
                    "log stream of vertex \"" + vertex.name() + "\" must be 1 (stdout) or 2 (stderr), not " + stream);
        }
        Objects.requireNonNull(data, "log data");
        Objects.checkFromIndexSize(offset, length, data.length);
        evaluation.emit(new ProgressEvent.VertexLog(
                vertex.digest(),
                vertex.name(),
                Instant.now(),
                stream,
                Arrays.copyOfRange(data, offset, offset + length)));
    }

    @Override
    public void warn(String message) {
        Objects.requireNonNull(message, "warning message");
        evaluation.emit(new ProgressEvent.VertexWarning(vertex.digest(), vertex.name(), Instant.now(), message));
    }
}
