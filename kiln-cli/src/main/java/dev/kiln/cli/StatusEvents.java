package dev.kiln.cli;

import dev.kiln.cli.remote.ControlCalls;
import dev.kiln.solver.ProgressEvent;
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

    /**
     * The frontend attribute by which Kiln's client asks Kiln's daemon to send cache-miss explanations
     * ({@code --explain-cache}); another daemon ignores it, as frontends ignore attributes they do not know.
     */
    static final String EXPLAIN_ATTR = "kiln:explain-cache";
    /** The frontend attribute with the client's local directories (name=path lines), naming the build's target. */
    static final String LOCALS_ATTR = "kiln:locals";
    /**
     * The log stream on which Kiln's daemon sends a step's cache-miss explanation after the build: UTF-8 lines
     * {@code reason=R}, {@code message=M} and {@code detail.KEY=VALUE}, a backslash and a newline in a value escaped
     * as {@code \\} and {@code \n}. Streams 1 and 2 are BuildKit's stdout and stderr; this one is Kiln's.
     */
    static final int EXPLAIN_STREAM = 101;

    private static Progress.VertexExplained explained(ControlCalls.VertexLog log, String name) {
        String reason = "";
        String message = "";
        var details = new java.util.LinkedHashMap<String, String>();
        for (String line : new String(log.data(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String key = line.substring(0, eq);
            String value = unescape(line.substring(eq + 1));
            switch (key) {
                case "reason" -> reason = value;
                case "message" -> message = value;
                default -> {
                    if (key.startsWith("detail.")) {
                        details.put(key.substring("detail.".length()), value);
                    }
                }
            }
        }
        return new Progress.VertexExplained(log.vertex(), name, instant(log.timestamp()), reason, message, details);
    }

    private static String unescape(String value) {
        var out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                char next = value.charAt(++i);
                out.append(next == 'n' ? '\n' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

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

    /** Shows the events of one status message on {@code display}, in the order it should see them. */
    synchronized void accept(ControlCalls.StatusUpdate status, Progress.Display display) {
        for (ControlCalls.Vertex vertex : status.vertexes()) {
            VertexState state = vertices.computeIfAbsent(vertex.digest(), digest -> new VertexState(vertex.name()));
            if (!vertex.name().isEmpty()) {
                state.name = vertex.name();
            }
            if (state.ended) {
                continue;
            }
            String digest = vertex.digest();
            if (!vertex.error().isEmpty()) {
                state.ended = true;
                String message = vertex.error().contains(CANCELED) ? ProgressEvent.CANCELLED : vertex.error();
                display.onEvent(
                        new ProgressEvent.VertexFailed(digest, state.name, instant(vertex.completed()), message));
            } else if (vertex.cached() && vertex.completed() != null) {
                state.ended = true;
                display.onEvent(new ProgressEvent.VertexCached(digest, state.name, instant(vertex.completed())));
            } else if (vertex.completed() != null) {
                state.ended = true;
                Instant completed = instant(vertex.completed());
                Duration took = vertex.started() != null
                        ? Duration.between(instant(vertex.started()), completed)
                        : Duration.ZERO;
                display.onEvent(new ProgressEvent.VertexCompleted(
                        digest, state.name, completed, took.isNegative() ? Duration.ZERO : took));
            } else if (vertex.started() != null && !state.started) {
                state.started = true;
                display.onEvent(new ProgressEvent.VertexStarted(digest, state.name, instant(vertex.started())));
            }
        }
        for (ControlCalls.VertexLog log : status.logs()) {
            if (log.stream() == EXPLAIN_STREAM) {
                display.onExplained(explained(log, name(log.vertex())));
                continue;
            }
            display.onEvent(new ProgressEvent.VertexLog(
                    log.vertex(), name(log.vertex()), instant(log.timestamp()), log.stream(), log.data()));
        }
        for (ControlCalls.VertexWarning warning : status.warnings()) {
            warnings.add(warning.message());
            display.onEvent(new ProgressEvent.VertexWarning(
                    warning.vertex(), name(warning.vertex()), Instant.now(), warning.message()));
        }
    }

    /** The warnings seen so far, for the list printed at the end of the build. */
    synchronized List<String> warnings() {
        return List.copyOf(warnings);
    }

    private String name(String digest) {
        VertexState state = vertices.get(digest);
        return state == null ? digest : state.name;
    }

    /** A time the daemon left out or sent as zero is taken as now. */
    private static Instant instant(Instant sent) {
        return sent == null || sent.equals(Instant.EPOCH) ? Instant.now() : sent;
    }
}
