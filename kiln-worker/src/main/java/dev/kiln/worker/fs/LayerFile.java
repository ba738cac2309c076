package dev.kiln.worker.fs;

import java.nio.file.Path;

/**
 * A regular file of a committed layer, named by its layer's directory and its path in that layer ("a/b", no leading
 * slash). A copy that shares a big context's files keeps one of these per file until its commit links them: as an
 * absolute {@link Path} each, a 20,000-file COPY held some 400 bytes a file (the path's bytes, its string, its name
 * offsets) at the moment the daemon's memory peaks (issue 13's W6); the layer's directory is one object for all.
 */
public record LayerFile(Path layer, String relative) {

    public Path path() {
        return layer.resolve(relative);
    }
}
