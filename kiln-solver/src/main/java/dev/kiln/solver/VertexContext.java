package dev.kiln.solver;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * The {@link OperationContext} of one vertex evaluation: what the op says becomes that vertex's progress events. The
 * vertex's digest and name are its components, so they answer the context's own questions about the vertex.
 */
record VertexContext(VertexEvaluation evaluation, String vertexDigest, String vertexName) implements OperationContext {

    VertexContext(VertexEvaluation evaluation, Vertex vertex) {
        this(evaluation, vertex.digest(), vertex.name());
    }

    @Override
    public void log(int stream, byte[] data, int offset, int length) {
        if (stream != 1 && stream != 2) {
            throw new IllegalArgumentException(
                    "log stream of vertex \"" + vertexName + "\" must be 1 (stdout) or 2 (stderr), not " + stream);
        }
        Objects.requireNonNull(data, "log data");
        Objects.checkFromIndexSize(offset, length, data.length);
        evaluation.emit(new ProgressEvent.VertexLog(
                vertexDigest, vertexName, Instant.now(), stream, Arrays.copyOfRange(data, offset, offset + length)));
    }

    @Override
    public void warn(String message) {
        Objects.requireNonNull(message, "warning message");
        evaluation.emit(new ProgressEvent.VertexWarning(vertexDigest, vertexName, Instant.now(), message));
    }
}
