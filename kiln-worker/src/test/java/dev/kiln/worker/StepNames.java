package dev.kiln.worker;

import dev.kiln.solver.ProgressEvent;
import java.util.List;

/**
 * The names of a build's steps as its progress events tell them, in order: the steps that ran and the steps taken
 * from the cache, which is what the cache tests assert, as a user reads it in the progress output.
 */
public final class StepNames {

    private StepNames() {}

    /** The steps that started running. */
    public static List<String> executed(List<ProgressEvent> events) {
        return events.stream()
                .filter(e -> e instanceof ProgressEvent.VertexStarted)
                .map(ProgressEvent::vertexName)
                .toList();
    }

    /** The steps whose result came from the cache. */
    public static List<String> cached(List<ProgressEvent> events) {
        return events.stream()
                .filter(e -> e instanceof ProgressEvent.VertexCached)
                .map(ProgressEvent::vertexName)
                .toList();
    }
}
