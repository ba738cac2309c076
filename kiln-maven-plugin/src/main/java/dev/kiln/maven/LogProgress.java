package dev.kiln.maven;

import dev.kiln.solver.ProgressEvent;
import dev.kiln.solver.ProgressListener;
import java.nio.charset.StandardCharsets;
import org.apache.maven.plugin.logging.Log;

/**
 * Each step on Maven's log as it starts, comes from the cache, finishes or fails, a RUN step's output too: the
 * embedded engine's events and a daemon's status stream read the same way.
 */
record LogProgress(Log log) implements ProgressListener {

    @Override
    public void onEvent(ProgressEvent event) {
        switch (event) {
            case ProgressEvent.VertexCached cached -> log.info("kiln: CACHED " + cached.vertexName());
            case ProgressEvent.VertexStarted started -> {
                if (log.isDebugEnabled()) {
                    log.debug("kiln: started " + started.vertexName());
                }
            }
            case ProgressEvent.VertexCompleted done ->
                log.info(String.format("kiln: DONE %.1fs %s", done.duration().toNanos() / 1e9, done.vertexName()));
            case ProgressEvent.VertexFailed failed ->
                log.error("kiln: FAILED " + failed.vertexName() + ": " + failed.message());
            case ProgressEvent.VertexLog output -> {
                for (String line : new String(output.data(), StandardCharsets.UTF_8).split("\n")) {
                    if (!line.isBlank()) {
                        log.info("kiln: " + output.vertexName() + " | " + line);
                    }
                }
            }
            case ProgressEvent.VertexWarning warning ->
                log.warn("kiln: " + warning.vertexName() + ": " + warning.message());
            default -> {}
        }
    }
}
