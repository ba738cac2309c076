package dev.kiln.cli;

import dev.kiln.solver.ProgressEvent;
import dev.kiln.solver.ProgressListener;

import java.util.HashSet;
import java.util.Set;

/** Counts what a build did, for the line printed at its end: steps run, steps cached. */
final class BuildSummary implements ProgressListener {

    private final Set<String> ran = new HashSet<>();
    private final Set<String> cached = new HashSet<>();

    @Override
    public synchronized void onEvent(ProgressEvent event) {
        switch (event) {
            case ProgressEvent.VertexCompleted e -> ran.add(e.vertexDigest());
            case ProgressEvent.VertexCached e -> cached.add(e.vertexDigest());
            default -> {
            }
        }
    }

    synchronized int ran() {
        return ran.size();
    }

    synchronized int cached() {
        return cached.size();
    }
}
