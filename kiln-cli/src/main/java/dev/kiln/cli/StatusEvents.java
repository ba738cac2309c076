package dev.kiln.cli;

import com.google.protobuf.Timestamp;
import dev.kiln.api.control.StatusResponse;
import dev.kiln.api.control.Vertex;
import dev.kiln.api.control.VertexLog;
import dev.kiln.api.control.VertexWarning;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a daemon's Control.Status stream into the displays' events. BuildKit sends a vertex again whenever it
 * changes (started, then completed, cached or failed), so each vertex's state is kept here and each change becomes
 * one event: a vertex seen completed without having been seen started yields only its end, as the embedded path's
 * cached steps do.
 */
final class StatusEvents {

    /** What BuildKit's errors say of a vertex abandoned because the build was cancelled or failed elsewhere. */
    private static final String CANCELED = "context canceled";

    private static final class VertexState {
        String name;
        boolean started;
        boolean ended;

        VertexState(String name) {
            this.name = name;
        }
    }

    private final Map<String, VertexState> vertices = new HashMap<>();
    private final List<String> warnings = new ArrayList<>();

    /** The events of one status message, in the order a display should see them. */
    synchronized List<Progress> accept(StatusResponse status) {
        List<Progress> events = new ArrayList<>();
        for (Vertex vertex : status.getVertexesList()) {
            VertexState state = vertices.computeIfAbsent(vertex.getDigest(), digest -> new VertexState(vertex.getName()));
            if (!vertex.getName().isEmpty()) {
                state.name = vertex.getName();
            }
            if (state.ended) {
                continue;
            }
            String digest = vertex.getDigest();
            if (!vertex.getError().isEmpty()) {
                state.ended = true;
                String message = vertex.getError().contains(CANCELED) ? Progress.CANCELLED : vertex.getError();
                events.add(new Progress.VertexFailed(digest, state.name, instant(vertex.getCompleted()), message));
            } else if (vertex.getCached() && vertex.hasCompleted()) {
                state.ended = true;
                events.add(new Progress.VertexCached(digest, state.name, instant(vertex.getCompleted())));
            } else if (vertex.hasCompleted()) {
                state.ended = true;
                Instant completed = instant(vertex.getCompleted());
                Duration took = vertex.hasStarted() ? Duration.between(instant(vertex.getStarted()), completed)
                        : Duration.ZERO;
                events.add(new Progress.VertexCompleted(digest, state.name, completed,
                        took.isNegative() ? Duration.ZERO : took));
            } else if (vertex.hasStarted() && !state.started) {
                state.started = true;
                events.add(new Progress.VertexStarted(digest, state.name, instant(vertex.getStarted())));
            }
        }
        for (VertexLog log : status.getLogsList()) {
            events.add(new Progress.VertexLog(log.getVertex(), name(log.getVertex()), instant(log.getTimestamp()),
                    (int) log.getStream(), log.getMsg().toByteArray()));
        }
        for (VertexWarning warning : status.getWarningsList()) {
            String message = warning.getShort().toString(StandardCharsets.UTF_8);
            warnings.add(message);
            events.add(new Progress.VertexWarning(warning.getVertex(), name(warning.getVertex()), Instant.now(),
                    message));
        }
        return events;
    }

    /** The warnings seen so far, for the list printed at the end of the build. */
    synchronized List<String> warnings() {
        return List.copyOf(warnings);
    }

    private String name(String digest) {
        VertexState state = vertices.get(digest);
        return state == null ? digest : state.name;
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp.getSeconds() == 0 && timestamp.getNanos() == 0 ? Instant.now()
                : Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }
}
