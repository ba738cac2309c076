package dev.kiln.cli;

import dev.kiln.solver.ProgressEvent;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A live view for terminals, in the manner of buildx: a header with the elapsed time and the
 * count of finished steps, one line per step with its time, and under each running step its last
 * few lines of output, which collapse when the step is done. The screen is redrawn in place a
 * few times a second; {@link #close()} draws the final state and stops.
 */
final class TtyProgress implements Progress.Display, AutoCloseable {

    private static final int LOG_LINES = 6;
    private static final long FRAME_MILLIS = 120;

    private final PrintStream out;
    private final int width;
    private final long start = System.nanoTime();
    private final Map<String, Step> steps = new LinkedHashMap<>();
    private final Thread painter;
    private int drawnLines;
    private boolean closed;
    /** The daemon that builds, drawn at the header's end as buildx draws its builder. */
    private String builder = "";

    private static final class Step {
        final String name;
        final long startedNanos = System.nanoTime();
        final Deque<String> lastLines = new ArrayDeque<>();
        final StringBuilder partial = new StringBuilder();
        String state = "running";
        Duration duration;
        String error;

        Step(String name) {
            this.name = name;
        }
    }

    TtyProgress(PrintStream out, int width) {
        this.out = out;
        this.width = Math.max(40, width);
        this.painter = Thread.ofVirtual().name("kiln-tty-progress").start(this::paintLoop);
    }

    @Override
    public synchronized void onEvent(ProgressEvent event) {
        Step step = step(event.vertexDigest(), event.vertexName());
        switch (event) {
            case ProgressEvent.VertexStarted e -> step.state = "running";
            case ProgressEvent.VertexCached e -> step.state = "cached";
            case ProgressEvent.VertexCompleted e -> {
                step.state = "done";
                step.duration = e.duration();
            }
            case ProgressEvent.VertexFailed e -> {
                step.state = ProgressEvent.CANCELLED.equals(e.message()) ? "canceled" : "error";
                step.error = e.message();
                step.duration = Duration.ofNanos(System.nanoTime() - step.startedNanos);
            }
            case ProgressEvent.VertexLog e -> addLog(step, new String(e.data(), StandardCharsets.UTF_8));
            case ProgressEvent.VertexWarning e -> addLog(step, "WARNING: " + e.message() + "\n");
        }
    }

    /** Draws the first frame at once, with the daemon in its header, rather than at the painter's first tick. */
    @Override
    public synchronized void onDaemon(String daemon) {
        if (!closed) {
            builder = daemon;
            paint(false);
        }
    }

    @Override
    public synchronized void onExplained(Progress.VertexExplained explained) {
        if (closed) {
            // After the build the screen is no longer redrawn: the explanations follow it as plain lines.
            out.println(" => " + explained.vertexName() + ": ran because " + explained.message());
            out.flush();
            return;
        }
        addLog(step(explained.vertexDigest(), explained.vertexName()), "ran because " + explained.message() + "\n");
    }

    private Step step(String digest, String name) {
        return steps.computeIfAbsent(digest, d -> new Step(name));
    }

    private static void addLog(Step step, String text) {
        step.partial.append(text);
        int newline;
        while ((newline = step.partial.indexOf("\n")) >= 0) {
            step.lastLines.addLast(step.partial.substring(0, newline));
            step.partial.delete(0, newline + 1);
            if (step.lastLines.size() > LOG_LINES) {
                step.lastLines.removeFirst();
            }
        }
    }

    private void paintLoop() {
        try {
            while (true) {
                Thread.sleep(FRAME_MILLIS);
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    paint(false);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The header with the builder right-aligned, when the line has room for it. */
    private String withBuilder(String header) {
        int gap = width - header.length() - builder.length();
        return builder.isEmpty() || gap < 2 ? header : header + " ".repeat(gap) + builder;
    }

    private void paint(boolean last) {
        List<String> lines = new ArrayList<>();
        long finished =
                steps.values().stream().filter(s -> !s.state.equals("running")).count();
        lines.add(withBuilder(String.format(
                Locale.ROOT,
                "[+] Building %.1fs (%d/%d)%s",
                (System.nanoTime() - start) / 1e9,
                finished,
                steps.size(),
                last ? " FINISHED" : "")));
        for (Step step : steps.values()) {
            lines.add(stepLine(step));
            if (step.state.equals("running") || step.state.equals("error")) {
                for (String log : step.lastLines) {
                    lines.add(" => # " + log);
                }
            }
        }
        StringBuilder frame = new StringBuilder();
        if (drawnLines > 0) {
            frame.append("\033[").append(drawnLines).append('A');
        }
        for (String line : lines) {
            frame.append("\r\033[2K").append(fit(line)).append('\n');
        }
        for (int extra = lines.size(); extra < drawnLines; extra++) {
            frame.append("\r\033[2K\n");
        }
        out.print(frame);
        out.flush();
        drawnLines = Math.max(lines.size(), drawnLines);
    }

    private String stepLine(Step step) {
        String time = switch (step.state) {
            case "running" -> String.format(Locale.ROOT, "%.1fs", (System.nanoTime() - step.startedNanos) / 1e9);
            case "cached" -> "0.0s";
            default -> PlainProgress.seconds(step.duration);
        };
        String prefix = switch (step.state) {
            case "cached" -> " => CACHED ";
            case "error" -> " => ERROR ";
            case "canceled" -> " => CANCELED ";
            default -> " => ";
        };
        String text = prefix + step.name;
        int room = width - time.length() - 1;
        if (text.length() > room) {
            text = text.substring(0, Math.max(0, room - 3)) + "...";
        }
        return text + " ".repeat(Math.max(1, width - text.length() - time.length())) + time;
    }

    private String fit(String line) {
        return line.length() <= width ? line : line.substring(0, width);
    }

    /** Draws the final frame; the failed steps' errors follow it in full. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        painter.interrupt();
        paint(true);
        for (Step step : steps.values()) {
            if (step.error != null && step.state.equals("error")) {
                out.println("------");
                out.println(" > " + step.name + ":");
                step.lastLines.forEach(line -> out.println(line));
                out.println("------");
            }
        }
        out.flush();
    }
}
