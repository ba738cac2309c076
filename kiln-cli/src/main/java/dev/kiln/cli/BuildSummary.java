package dev.kiln.cli;

import dev.kiln.solver.ProgressEvent;
import java.util.HashSet;
import java.util.Set;

/**
 * Counts what a build did, for the line printed at its end: steps run, steps cached. Exports are not steps here:
 * they run on every build (named "exporting to ..." as in BuildKit's progress) and the line lists them apart.
 */
final class BuildSummary implements Progress.Display {

    private final Set<String> ran = new HashSet<>();
    private final Set<String> cached = new HashSet<>();

    @Override
    public synchronized void onEvent(ProgressEvent event) {
        // instanceof rather than a pattern switch, which links through a class spun at run time (PlainProgress)
        if (event instanceof ProgressEvent.VertexCompleted e && !e.vertexName().startsWith("exporting to ")) {
            ran.add(e.vertexDigest());
        } else if (event instanceof ProgressEvent.VertexCached e) {
            cached.add(e.vertexDigest());
        }
    }

    synchronized int ran() {
        return ran.size();
    }

    synchronized int cached() {
        return cached.size();
    }
}
