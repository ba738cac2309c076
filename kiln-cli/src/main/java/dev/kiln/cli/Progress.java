package dev.kiln.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * What the displays render: one vertex's state change, log or warning. The command's own copy of the solver's
 * progress events, because the daemon client must not load solver classes (its start time is the point of it): the
 * embedded path converts the solver's events into these, the client converts the daemon's StatusResponse.
 */
sealed interface Progress {

    /** The {@link VertexFailed#message()} of a started vertex whose build was cancelled or failed elsewhere. */
    String CANCELLED = "cancelled";

    String vertexDigest();

    String vertexName();

    Instant timestamp();

    record VertexStarted(String vertexDigest, String vertexName, Instant timestamp) implements Progress {}

    record VertexCached(String vertexDigest, String vertexName, Instant timestamp) implements Progress {}

    /** @param duration how long the step ran */
    record VertexCompleted(String vertexDigest, String vertexName, Instant timestamp, Duration duration)
            implements Progress {}

    /** @param stream 1 = stdout, 2 = stderr */
    record VertexLog(String vertexDigest, String vertexName, Instant timestamp, int stream, byte[] data)
            implements Progress {

        public VertexLog {
            data = Objects.requireNonNull(data, "log data").clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof VertexLog log
                    && vertexDigest.equals(log.vertexDigest)
                    && vertexName.equals(log.vertexName)
                    && timestamp.equals(log.timestamp)
                    && stream == log.stream
                    && Arrays.equals(data, log.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(vertexDigest, vertexName, timestamp, stream, Arrays.hashCode(data));
        }
    }

    record VertexFailed(String vertexDigest, String vertexName, Instant timestamp, String message)
            implements Progress {}

    record VertexWarning(String vertexDigest, String vertexName, Instant timestamp, String message)
            implements Progress {}

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
            java.util.Map<String, String> details)
            implements Progress {

        public VertexExplained {
            details = java.util.Map.copyOf(details);
        }
    }

    /** Receives the progress of one build, one event at a time. */
    @FunctionalInterface
    interface Display {

        void onEvent(Progress event);

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
