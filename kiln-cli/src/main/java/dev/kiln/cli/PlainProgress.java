package dev.kiln.cli;

import dev.kiln.solver.ProgressEvent;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Renders progress the way BuildKit's plain display does: each vertex gets a number the first
 * time it shows up, and every line about it starts with {@code #N}:
 * <pre>
 * #3 [2/3] RUN make
 * #3 0.412 compiling
 * #3 DONE 1.2s
 * </pre>
 * A blank line separates the lines of one vertex from the next, as in BuildKit.
 */
final class PlainProgress implements Progress.Display {

    /** How many of a step's last output lines are shown again under its failure, as BuildKit's plain display. */
    static final int ERROR_LOG_LINES = 10;

    private final PrintStream out;
    private final Map<String, VertexLine> vertices = new HashMap<>();
    private final Map<String, StringBuilder> partialLines = new HashMap<>();
    /** Each step's last output lines as printed (time and text), for {@link #close}. */
    private final Map<String, Deque<String>> lastLines = new HashMap<>();
    /** The steps that failed (not cancelled), in the order they failed. */
    private final Set<String> failedSteps = new LinkedHashSet<>();

    private String lastVertex;
    private boolean closed;

    PlainProgress(PrintStream out) {
        this.out = out;
    }

    private record VertexLine(int number, String name, Instant started) {}

    @Override
    public synchronized void onEvent(ProgressEvent event) {
        VertexLine vertex = header(event);
        // instanceof, not a switch over the sealed type: a pattern switch links through a class the JVM spins at
        // run time, which no AOT cache keeps, and a client's progress is the first to run it
        if (event instanceof ProgressEvent.VertexCached) {
            line(vertex, "CACHED");
        } else if (event instanceof ProgressEvent.VertexLog log) {
            log(vertex, log);
        } else if (event instanceof ProgressEvent.VertexWarning warning) {
            line(vertex, "WARNING: " + warning.message());
        } else if (event instanceof ProgressEvent.VertexCompleted completed) {
            flushPartial(vertex, event.vertexDigest());
            line(vertex, "DONE " + seconds(completed.duration()));
        } else if (event instanceof ProgressEvent.VertexFailed failed) {
            flushPartial(vertex, event.vertexDigest());
            if (!ProgressEvent.CANCELLED.equals(failed.message())) {
                failedSteps.add(event.vertexDigest());
            }
            line(vertex, ProgressEvent.CANCELLED.equals(failed.message()) ? "CANCELED" : "ERROR: " + failed.message());
        }
        out.flush();
    }

    /**
     * Under the progress, each failed step's last output again, between {@code ------} lines, as BuildKit's plain
     * display ends a failed build: the lines that say why are next to the error, however long the log above.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (String digest : failedSteps) {
            out.println("------");
            out.println(" > " + vertices.get(digest).name() + ":");
            lastLines.getOrDefault(digest, new ArrayDeque<>()).forEach(out::println);
            out.println("------");
        }
        out.flush();
    }

    /** {@code #0 building with the daemon of STATE} and a blank line, as buildx starts its plain output. */
    @Override
    public synchronized void onDaemon(String daemon) {
        out.println("#0 building with " + daemon);
        out.println();
        out.flush();
    }

    /**
     * One line after the build, not part of any vertex's block: {@code #7 [2/3] RUN make: ran because ...}. The
     * first one starts the section with a blank line.
     */
    @Override
    public synchronized void onExplained(Progress.VertexExplained explained) {
        VertexLine vertex = vertices.computeIfAbsent(
                explained.vertexDigest(),
                digest -> new VertexLine(vertices.size() + 1, explained.vertexName(), explained.timestamp()));
        if (lastVertex != null) {
            out.println();
            lastVertex = null;
        }
        out.println("#" + vertex.number() + " " + vertex.name() + ": ran because " + explained.message());
        out.flush();
    }

    /** Numbers a vertex on first sight and prints its name line whenever the display switches to it. */
    private VertexLine header(ProgressEvent event) {
        VertexLine vertex = vertices.computeIfAbsent(
                event.vertexDigest(),
                digest -> new VertexLine(vertices.size() + 1, event.vertexName(), event.timestamp()));
        if (!event.vertexDigest().equals(lastVertex)) {
            if (lastVertex != null) {
                out.println();
            }
            out.println("#" + vertex.number() + " " + vertex.name());
            lastVertex = event.vertexDigest();
        }
        return vertex;
    }

    private void log(VertexLine vertex, ProgressEvent.VertexLog log) {
        StringBuilder pending = partialLines.computeIfAbsent(log.vertexDigest(), d -> new StringBuilder());
        pending.append(new String(log.data(), StandardCharsets.UTF_8));
        int newline;
        while ((newline = pending.indexOf("\n")) >= 0) {
            String text = pending.substring(0, newline);
            pending.delete(0, newline + 1);
            output(vertex, log.vertexDigest(), elapsed(vertex, log.timestamp()) + " " + text);
        }
    }

    private void flushPartial(VertexLine vertex, String digest) {
        StringBuilder pending = partialLines.remove(digest);
        if (pending != null && !pending.isEmpty()) {
            output(vertex, digest, elapsed(vertex, Instant.now()) + " " + pending);
        }
    }

    /** A line of a step's output: printed, and kept among its last lines. */
    private void output(VertexLine vertex, String digest, String text) {
        line(vertex, text);
        Deque<String> kept = lastLines.computeIfAbsent(digest, d -> new ArrayDeque<>());
        kept.addLast(text);
        if (kept.size() > ERROR_LOG_LINES) {
            kept.removeFirst();
        }
    }

    private void line(VertexLine vertex, String text) {
        out.println("#" + vertex.number() + " " + text);
    }

    private static String elapsed(VertexLine vertex, Instant at) {
        Duration since = Duration.between(vertex.started(), at);
        return decimalSeconds(Math.max(0, since.toNanos()), 3);
    }

    static String seconds(Duration duration) {
        return decimalSeconds(duration.toNanos(), 1) + "s";
    }

    /**
     * {@code nanos} in seconds with {@code places} decimals (at most 9), rounded half up, as {@code "%.3f"} writes
     * them. Not through String.format: a fresh client's first Formatter loads the locale's number symbols, which
     * took a quarter of the thread that prints a cached build's progress (profiled with JFR).
     */
    static String decimalSeconds(long nanos, int places) {
        long unit = 1;
        for (int i = places; i < 9; i++) {
            unit *= 10;
        }
        long scale = 1_000_000_000L / unit;
        long rounded = (Math.abs(nanos) + unit / 2) / unit;
        String fraction = Long.toString(rounded % scale);
        return (nanos < 0 ? "-" : "")
                + rounded / scale
                + (places == 0 ? "" : "." + "0".repeat(places - fraction.length()) + fraction);
    }
}
