package dev.kiln.solver;

/**
 * The progress and cache of one solve: serializes the calls to its listener (see {@link ProgressListener}) and, once the solve
 * returns, drops whatever shared evaluations still report.
 */
final class ProgressSession {

    private final ProgressListener listener;
    private final SolveCache cache;
    private boolean closed;

    ProgressSession(ProgressListener listener, SolveCache cache) {
        this.listener = listener;
        this.cache = cache;
    }

    /** The solve's own cache, which its vertices may import results from. */
    SolveCache cache() {
        return cache;
    }

    /** Whether this session and {@code other} report to the same listener (two solves of one build, say). */
    boolean sharesListenerWith(ProgressSession other) {
        return listener == other.listener;
    }

    synchronized boolean open() {
        return !closed;
    }

    synchronized void deliver(ProgressEvent event) {
        if (closed) {
            return;
        }
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            // A broken display must not break the build.
        }
    }

    synchronized void close() {
        closed = true;
    }
}
