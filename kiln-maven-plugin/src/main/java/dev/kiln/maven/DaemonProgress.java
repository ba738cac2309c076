package dev.kiln.maven;

import com.google.protobuf.Timestamp;
import dev.kiln.api.control.StatusResponse;
import dev.kiln.api.control.Vertex;
import dev.kiln.api.control.VertexLog;
import dev.kiln.api.control.VertexWarning;
import dev.kiln.solver.ProgressEvent;
import dev.kiln.solver.ProgressListener;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A daemon's status stream (Control.Status) read back into the engine's progress events, so that Maven's log shows a
 * build through the daemon as it shows one on the embedded engine. The stream repeats a vertex each time it changes;
 * each change is told once: started, then cached, completed or failed.
 */
final class DaemonProgress implements StreamObserver<StatusResponse> {

    private final ProgressListener listener;
    private final Map<String, String> names = new HashMap<>();
    private final Set<String> started = new HashSet<>();
    private final Set<String> ended = new HashSet<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    DaemonProgress(ProgressListener listener) {
        this.listener = listener;
    }

    /** Completes when the daemon ends the stream (after the build), or breaks it. */
    CompletableFuture<Void> done() {
        return done;
    }

    @Override
    public synchronized void onNext(StatusResponse status) {
        for (Vertex vertex : status.getVertexesList()) {
            String digest = vertex.getDigest();
            names.put(digest, vertex.getName());
            if (vertex.hasStarted() && started.add(digest) && !vertex.getCached()) {
                listener.onEvent(new ProgressEvent.VertexStarted(digest, vertex.getName(), time(vertex.getStarted())));
            }
            if (!vertex.getError().isEmpty()) {
                if (ended.add(digest)) {
                    listener.onEvent(new ProgressEvent.VertexFailed(
                            digest, vertex.getName(), time(vertex.getCompleted()), vertex.getError()));
                }
            } else if (vertex.getCached()) {
                if (ended.add(digest)) {
                    listener.onEvent(
                            new ProgressEvent.VertexCached(digest, vertex.getName(), time(vertex.getStarted())));
                }
            } else if (vertex.hasCompleted() && ended.add(digest)) {
                Instant completed = time(vertex.getCompleted());
                Duration took =
                        vertex.hasStarted() ? Duration.between(time(vertex.getStarted()), completed) : Duration.ZERO;
                listener.onEvent(new ProgressEvent.VertexCompleted(digest, vertex.getName(), completed, took));
            }
        }
        for (VertexLog log : status.getLogsList()) {
            listener.onEvent(new ProgressEvent.VertexLog(
                    log.getVertex(),
                    names.getOrDefault(log.getVertex(), log.getVertex()),
                    time(log.getTimestamp()),
                    (int) log.getStream(),
                    log.getMsg().toByteArray()));
        }
        for (VertexWarning warning : status.getWarningsList()) {
            listener.onEvent(new ProgressEvent.VertexWarning(
                    warning.getVertex(),
                    names.getOrDefault(warning.getVertex(), warning.getVertex()),
                    Instant.now(),
                    warning.getShort().toString(StandardCharsets.UTF_8)));
        }
    }

    @Override
    public void onError(Throwable t) {
        done.complete(null); // the Solve's answer says what went wrong; the log has what arrived
    }

    @Override
    public void onCompleted() {
        done.complete(null);
    }

    private static Instant time(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }
}
