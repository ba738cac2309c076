package dev.kiln.solver;

import java.util.ArrayList;
import java.util.List;

/** Keeps every progress event of a solve. */
final class Recorder implements ProgressListener {

    private final List<ProgressEvent> events = new ArrayList<>();

    @Override
    public synchronized void onEvent(ProgressEvent event) {
        events.add(event);
    }

    synchronized List<ProgressEvent> events() {
        return List.copyOf(events);
    }

    /** Names of the vertices that reported an event of this type, in order. */
    synchronized List<String> names(Class<? extends ProgressEvent> type) {
        return events.stream()
                .filter(type::isInstance)
                .map(ProgressEvent::vertexName)
                .toList();
    }

    synchronized List<ProgressEvent> of(String vertexName) {
        return new ArrayList<>(
                events.stream().filter(e -> e.vertexName().equals(vertexName)).toList());
    }
}
