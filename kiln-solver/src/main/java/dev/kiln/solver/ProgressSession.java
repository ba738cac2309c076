package dev.kiln.solver;

/**
 * The progress of one solve: serializes the calls to its listener (see {@link ProgressListener}) and, once the solve
 * returns, drops whatever shared evaluations still report.
 */
final class ProgressSession {

    private final ProgressListener listener;
    private boolean closed;

    ProgressSession(ProgressListener listener) {
        this.listener = listener;
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
