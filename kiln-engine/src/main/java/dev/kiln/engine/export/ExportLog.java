package dev.kiln.engine.export;

import dev.kiln.core.Digest;
import dev.kiln.solver.ProgressEvent;
import dev.kiln.solver.ProgressListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * An export as one step of the build's progress ("exporting to image"), so displays show it like BuildKit's: started,
 * a log line per thing done, then completed or failed. Lines may come from several threads.
 */
public final class ExportLog {

    private final ProgressListener listener;
    private final String digest;
    private final String name;
    private Instant started;

    /** An export's work, writing its lines to the log and answering with the export's facts. */
    @FunctionalInterface
    public interface Step {
        Map<String, String> run(ExportLog log) throws IOException, InterruptedException;
    }

    private ExportLog(ProgressListener listener, String name) {
        this.listener = listener;
        this.name = name;
        this.digest = Digest.sha256(("kiln export " + name + " " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    static ExportLog start(ProgressListener listener, String name) {
        ExportLog log = new ExportLog(listener, name);
        log.started = Instant.now();
        log.emit(new ProgressEvent.VertexStarted(log.digest, name, log.started));
        return log;
    }

    /** Runs {@code step} as the progress step {@code name}: started, then completed, or failed with its error. */
    public static Map<String, String> run(ProgressListener listener, String name, Step step)
            throws IOException, InterruptedException {
        ExportLog log = start(listener, name);
        try {
            Map<String, String> facts = step.run(log);
            log.completed();
            return facts;
        } catch (IOException | InterruptedException | RuntimeException e) {
            log.failed(e.getMessage() == null ? e.toString() : e.getMessage());
            throw e;
        }
    }

    /**
     * A step that shows only once it has something to say: started at its first line, ended by
     * {@link #endIfStarted}. For work that may find nothing to do (layers written ahead that were all known).
     */
    static ExportLog deferred(ProgressListener listener, String name) {
        return new ExportLog(listener, name);
    }

    /** Completes a {@link #deferred} step that started; nothing for one that never did. */
    synchronized void endIfStarted() {
        if (started != null) {
            completed();
        }
    }

    public synchronized void line(String text) {
        if (started == null) {
            started = Instant.now();
            emit(new ProgressEvent.VertexStarted(digest, name, started));
        }
        emit(new ProgressEvent.VertexLog(
                digest, name, Instant.now(), 2, (text + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    synchronized void completed() {
        Instant now = Instant.now();
        emit(new ProgressEvent.VertexCompleted(digest, name, now, Duration.between(started, now)));
    }

    synchronized void failed(String message) {
        emit(new ProgressEvent.VertexFailed(digest, name, Instant.now(), message));
    }

    /** A broken display must not break the export. */
    private void emit(ProgressEvent event) {
        try {
            listener.onEvent(event);
        } catch (RuntimeException ignored) {
            // the listener's problem is not the build's
        }
    }
}
