package dev.kiln.solver;

/** What an operation may tell the solver while it keys or runs one vertex; its output becomes progress events. */
public interface OperationContext {

    String vertexDigest();

    String vertexName();

    /** Output of the op; stream 1 = stdout, 2 = stderr. Becomes a {@link ProgressEvent.VertexLog}. */
    void log(int stream, byte[] data, int offset, int length);

    /** Something the user should know that does not fail the step. Becomes a {@link ProgressEvent.VertexWarning}. */
    void warn(String message);
}
