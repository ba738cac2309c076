package dev.kiln.daemon;

import com.google.protobuf.ByteString;
import dev.kiln.api.control.StatusResponse;
import dev.kiln.api.control.Vertex;
import dev.kiln.api.control.VertexLog;
import dev.kiln.api.control.VertexWarning;
import dev.kiln.solver.ProgressEvent;
import dev.kiln.solver.ProgressListener;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The progress of one build as BuildKit's Control.Status streams it: every update the build makes, kept in order, so
 * a Status call that comes before, during or after the build (buildctl starts Status and Solve at the same time)
 * sees all of it from the start.
 *
 * <p>A vertex update carries the vertex's whole state (name, started, completed, cached, error), as BuildKit sends
 * it, because a client keeps only the last update of each vertex.
 */
final class StatusFeed implements ProgressListener {

    static final long LOG_LIMIT = 2 * 1024 * 1024;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<StatusResponse> updates = new ArrayList<>();
    private final Map<String, Vertex> vertices = new HashMap<>();
    private final Map<String, Long> logged = new HashMap<>();
    private int warnings;
    private boolean finished;

    /** What a build's record counts of its progress: its steps, those cached and those completed, and its warnings. */
    record Steps(int total, int cached, int completed, int warnings) {}

    @Override
    public void onEvent(ProgressEvent event) {
        StatusResponse update = switch (event) {
            case ProgressEvent.VertexStarted e ->
                vertex(e, v -> v.setStarted(WireTime.of(e.timestamp())).clearCompleted());
            case ProgressEvent.VertexCached e ->
                vertex(e, v -> {
                    if (!v.hasStarted()) {
                        v.setStarted(WireTime.of(e.timestamp()));
                    }
                    v.setCached(true).setCompleted(WireTime.of(e.timestamp()));
                });
            case ProgressEvent.VertexCompleted e ->
                vertex(e, v -> {
                    if (!v.hasStarted()) {
                        v.setStarted(WireTime.of(e.timestamp().minus(e.duration())));
                    }
                    v.setCompleted(WireTime.of(e.timestamp()));
                });
            case ProgressEvent.VertexFailed e ->
                vertex(e, v -> {
                    if (!v.hasStarted()) {
                        v.setStarted(WireTime.of(e.timestamp()));
                    }
                    v.setCompleted(WireTime.of(e.timestamp())).setError(e.message());
                });
            case ProgressEvent.VertexLog e -> log(e);
            case ProgressEvent.VertexWarning e ->
                warning()
                        .addWarnings(VertexWarning.newBuilder()
                                .setVertex(e.vertexDigest())
                                .setLevel(1)
                                .setShort(ByteString.copyFrom(e.message(), StandardCharsets.UTF_8)))
                        .build();
        };
        append(update);
    }

    /**
     * A step's output, up to {@value #LOG_LIMIT} bytes a step as BuildKit keeps it: the feed holds every update for
     * late readers, and a step that prints gigabytes must not take the daemon's memory with it.
     */
    private StatusResponse log(ProgressEvent.VertexLog event) {
        byte[] data = event.data();
        long before;
        Vertex named = null;
        lock.lock();
        try {
            // A step may log before it starts (keying it, or importing it from a cache, can take a while): its
            // vertex goes first, so a display names the log's step instead of showing its digest.
            if (!vertices.containsKey(event.vertexDigest())) {
                named = Vertex.newBuilder()
                        .setDigest(event.vertexDigest())
                        .setName(event.vertexName())
                        .build();
                vertices.put(event.vertexDigest(), named);
            }
            before = logged.getOrDefault(event.vertexDigest(), 0L);
            logged.put(event.vertexDigest(), before + data.length);
        } finally {
            lock.unlock();
        }
        if (before > LOG_LIMIT) {
            return null; // clipped already, and said so
        }
        ByteString kept = before + data.length <= LOG_LIMIT
                ? ByteString.copyFrom(data)
                : ByteString.copyFrom(data, 0, (int) (LOG_LIMIT - before))
                        .concat(ByteString.copyFromUtf8("\n[output clipped: a step's log is kept up to "
                                + LOG_LIMIT / (1024 * 1024) + " MiB]\n"));
        StatusResponse.Builder update = StatusResponse.newBuilder();
        if (named != null) {
            update.addVertexes(named);
        }
        return update.addLogs(VertexLog.newBuilder()
                        .setVertex(event.vertexDigest())
                        .setTimestamp(WireTime.of(event.timestamp()))
                        .setStream(event.stream())
                        .setMsg(kept))
                .build();
    }

    private interface VertexChange {
        void apply(Vertex.Builder vertex);
    }

    private StatusResponse vertex(ProgressEvent event, VertexChange change) {
        lock.lock();
        try {
            Vertex current = vertices.get(event.vertexDigest());
            Vertex.Builder builder = current == null
                    ? Vertex.newBuilder().setDigest(event.vertexDigest()).setName(event.vertexName())
                    : current.toBuilder();
            change.apply(builder);
            Vertex updated = builder.build();
            vertices.put(event.vertexDigest(), updated);
            return StatusResponse.newBuilder().addVertexes(updated).build();
        } finally {
            lock.unlock();
        }
    }

    private void append(StatusResponse update) {
        if (update == null) {
            return;
        }
        lock.lock();
        try {
            if (!finished) {
                updates.add(update);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Counts a warning for the build's record, and begins the update that carries it. */
    private StatusResponse.Builder warning() {
        lock.lock();
        try {
            warnings++;
        } finally {
            lock.unlock();
        }
        return StatusResponse.newBuilder();
    }

    Steps steps() {
        lock.lock();
        try {
            int cached = 0;
            int completed = 0;
            for (Vertex vertex : vertices.values()) {
                cached += vertex.getCached() ? 1 : 0;
                completed += vertex.hasCompleted() ? 1 : 0;
            }
            return new Steps(vertices.size(), cached, completed, warnings);
        } finally {
            lock.unlock();
        }
    }

    /** No update comes after this; readers drain what there is and end. */
    void finish() {
        lock.lock();
        try {
            finished = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    boolean finished() {
        lock.lock();
        try {
            return finished;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The updates from index {@code from} on, merged into one response, waiting up to {@code timeoutMillis} for
     * one to come; an empty list when the feed finished with nothing more, {@code null} on timeout.
     */
    List<StatusResponse> next(int from, long timeoutMillis) throws InterruptedException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (updates.size() <= from && !finished) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                changed.awaitNanos(left);
            }
            return List.copyOf(updates.subList(Math.min(from, updates.size()), updates.size()));
        } finally {
            lock.unlock();
        }
    }

    /** Several updates as one message: fewer, larger writes to the client. */
    static StatusResponse merge(List<StatusResponse> batch) {
        StatusResponse.Builder merged = StatusResponse.newBuilder();
        for (StatusResponse update : batch) {
            merged.mergeFrom(update);
        }
        return merged.build();
    }
}
