package dev.kiln.solver;

/** How an evaluation ends when every solve that wanted it let go before it finished. */
final class VertexCancelled extends Exception {

    VertexCancelled() {
        super(ProgressEvent.CANCELLED, null, false, false);
    }
}
