package dev.kiln.cli;

import dev.kiln.solver.ProgressEvent;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Map;

/**
 * What the command's displays render. During a build, the solver's {@link ProgressEvent}s: the embedded path passes
 * the solver's own, the daemon client makes them of the daemon's StatusResponse. That type is plain data on
 * java.time alone, so the daemon client loads it without loading the solver or the engine (its start time is the
 * point of it). After the build, with {@code --explain-cache}, a {@link VertexExplained} for each step that ran.
 */
final class Progress {

    private Progress() {}

    /**
     * Why a step that ran missed the cache, compared with the last build of the same target (after the build,
     * {@code --explain-cache}).
     *
     * @param reason  the kind of cause (no-record, pruned, context-file, build-arg, base-image, command, mount, ...)
     * @param message the cause for a person: the words after "ran because"
     * @param details the cause for a tool: name, old, new, path, more, ...
     */
    record VertexExplained(
            String vertexDigest,
            String vertexName,
            Instant timestamp,
            String reason,
            String message,
            Map<String, String> details) {

        VertexExplained {
            details = Map.copyOf(details);
        }
    }

    /** Receives the progress of one build, one event at a time. */
    @FunctionalInterface
    interface Display {

        void onEvent(ProgressEvent event);

        /** Why a step missed the cache, after the build's own events; a display that does not show it ignores it. */
        default void onExplained(VertexExplained explained) {}

        /**
         * Which daemon builds ({@code the daemon of STATE}, {@code the daemon at ADDRESS}): the first thing a display
         * shows, as buildx shows its builder ({@code #0 building with ...}) before it reaches it, so that a user sees
         * where the build goes as soon as the command line is read, not when the daemon's first step reports.
         */
        default void onDaemon(String daemon) {}

        /**
         * The build is over: a display draws what it keeps for the end (the failed steps' last output, a terminal's
         * last frame). Safe to call more than once.
         */
        default void close() {}

        static Display none() {
            return event -> {};
        }

        /** The display {@code --progress MODE} names: auto is tty on a terminal, else plain. */
        static Display forMode(String mode, PrintStream err) {
            String chosen = mode.equals("auto") ? (isTerminal() ? "tty" : "plain") : mode;
            return switch (chosen) {
                case "tty" -> new TtyProgress(err, terminalWidth());
                case "rawjson" -> new RawJsonProgress(err);
                case "quiet" -> none();
                default -> new PlainProgress(err);
            };
        }

        private static boolean isTerminal() {
            java.io.Console console = System.console();
            return console != null && console.isTerminal() && !"dumb".equals(System.getenv("TERM"));
        }

        private static int terminalWidth() {
            try {
                return Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "100"));
            } catch (NumberFormatException e) {
                return 100;
            }
        }
    }
}
