package dev.kiln.solver;

/** How an evaluation ends when its vertex failed; dependants pass it on unchanged, so the solve names the culprit. */
final class VertexFailure extends Exception {

    private final String vertexName;
    private final String vertexDigest;

    VertexFailure(Vertex vertex, Throwable cause) {
        super("vertex \"" + ShortText.of(vertex.name()) + "\" (" + vertex.digest() + ") failed", cause, false, false);
        this.vertexName = vertex.name();
        this.vertexDigest = vertex.digest();
    }

    String vertexName() {
        return vertexName;
    }

    String vertexDigest() {
        return vertexDigest;
    }
}
