package dev.kiln.solver;

/**
 * Receives the progress events of one solve.
 *
 * <p>The solver serializes the calls of each solve: a listener sees one event at a time, in the order each vertex
 * produced them, though from varying threads (with the happens-before that the serialization gives). A listener
 * therefore need not be thread-safe unless it is passed to several solves running at the same time. It should return
 * quickly: the vertex that produced the event waits for it. An exception it throws is dropped, because a broken
 * display must not break the build. No event arrives after {@code solve} returns.
 */
@FunctionalInterface
public interface ProgressListener {

    void onEvent(ProgressEvent event);

    /** A listener for callers that do not show progress. */
    static ProgressListener none() {
        return event -> {};
    }
}
