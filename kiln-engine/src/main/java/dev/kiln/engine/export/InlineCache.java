package dev.kiln.engine.export;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A build's cache as an image export carries it in its image config ({@code --cache-to type=inline}): given the
 * layers of the image being made, the cache records whose results are those layers, as BuildKit's inline cache
 * exporter hands them to its image writer.
 */
@FunctionalInterface
public interface InlineCache {

    /** No inline cache: the image config is the frontend's alone. */
    InlineCache NONE = (layers, options, log) -> Optional.empty();

    /**
     * The records (BuildKit's JSON array) for an image of {@code layers}, bottom first, compressed as
     * {@code options} say; empty when no record has a result among them.
     */
    Optional<byte[]> records(List<ImageLayer> layers, ImageOptions options, ExportLog log)
            throws IOException, InterruptedException;
}
