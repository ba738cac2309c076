package dev.kiln.solver;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * What happened to one vertex during a solve. Progress is data: displays render these, the solver never prints.
 *
 * <p>A vertex's lifecycle is either {@link VertexCached}, or {@link VertexStarted} followed by {@link VertexCompleted}
 * or {@link VertexFailed}; {@link VertexLog} and {@link VertexWarning} may come at any point before the end (an op can
 * log while it computes its cache key). A vertex that fails before it starts (its cache key could not be computed)
 * reports only {@link VertexFailed}; a started vertex that the solve abandons reports {@link VertexFailed} with the
 * message {@value #CANCELLED}. Dependants of a failed vertex report nothing: they never run.
 *
 * <p>These are also what {@code kiln}'s displays render of a build on the daemon, read back from its status stream:
 * the client loads them without the rest of the solver, so they stay plain data on java.time alone.
 */
public sealed interface ProgressEvent {

    /** The {@link VertexFailed#message()} of a started vertex whose solve was cancelled or failed elsewhere. */
    String CANCELLED = "cancelled";

    String vertexDigest();

    String vertexName();

    Instant timestamp();

    record VertexStarted(String vertexDigest, String vertexName, Instant timestamp) implements ProgressEvent {}

    /** The vertex's results came from the cache (or from an identical vertex that ran at the same time). */
    record VertexCached(String vertexDigest, String vertexName, Instant timestamp) implements ProgressEvent {}

    /** @param duration how long the op ran, from {@link VertexStarted} to this event */
    record VertexCompleted(String vertexDigest, String vertexName, Instant timestamp, Duration duration)
            implements ProgressEvent {}

    /**
     * Output of the op.
     *
     * @param stream 1 = stdout, 2 = stderr
     * @param data   a private copy: the event stays a value whatever the op does with its buffer later
     */
    record VertexLog(String vertexDigest, String vertexName, Instant timestamp, int stream, byte[] data)
            implements ProgressEvent {

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

        @Override
        public String toString() {
            return "VertexLog[" + vertexName + ", stream " + stream + ", " + data.length + " bytes]";
        }
    }

    /** @param message what failed, ready to show the user; {@value ProgressEvent#CANCELLED} for an abandoned vertex */
    record VertexFailed(String vertexDigest, String vertexName, Instant timestamp, String message)
            implements ProgressEvent {}

    record VertexWarning(String vertexDigest, String vertexName, Instant timestamp, String message)
            implements ProgressEvent {}
}
