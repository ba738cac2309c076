package dev.kiln.solver;

import java.util.Optional;

/**
 * A solve that did not produce its results: a vertex failed (named in the message, with its digest, and the cause's
 * message), the graph was malformed, or the solve was cancelled.
 */
public final class SolveException extends Exception {

    private final String vertexName;
    private final String vertexDigest;
    private final boolean cancelled;

    private SolveException(String message, Throwable cause, String vertexName, String vertexDigest, boolean cancelled) {
        super(message, cause);
        this.vertexName = vertexName;
        this.vertexDigest = vertexDigest;
        this.cancelled = cancelled;
    }

    static SolveException vertexFailed(String vertexName, String vertexDigest, Throwable cause) {
        String message =
                "vertex \"" + ShortText.of(vertexName) + "\" (" + vertexDigest + ") failed: " + describe(cause);
        return new SolveException(message, cause, vertexName, vertexDigest, false);
    }

    static SolveException malformedGraph(String message) {
        return new SolveException(message, null, null, null, false);
    }

    static SolveException cancellation(Throwable cause) {
        return new SolveException("solve cancelled", cause, null, null, true);
    }

    /** The message of a cause, or its type when it has none: never just "null". */
    static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }

    /** The name of the vertex that failed, if a vertex failed. */
    public Optional<String> vertexName() {
        return Optional.ofNullable(vertexName);
    }

    /** The digest of the vertex that failed, if a vertex failed. */
    public Optional<String> vertexDigest() {
        return Optional.ofNullable(vertexDigest);
    }

    /** Whether the solve stopped because its caller was interrupted rather than because something failed. */
    public boolean cancelled() {
        return cancelled;
    }
}
