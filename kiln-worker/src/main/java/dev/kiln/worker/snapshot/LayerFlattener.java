package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import dev.kiln.worker.fs.FileStat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Applies layers onto a plain directory with overlayfs's rules, so a stack of layers can be flattened where
 * overlayfs is not mounted: a whiteout deletes, an opaque directory hides what was below it, a non-directory
 * replaces whatever was there, directories merge and take the upper layer's metadata.
 */
final class LayerFlattener {
    private final FileCopier copier;

    LayerFlattener(FileCopier copier) {
        this.copier = copier;
    }

    /** Flattens {@code layers} (bottom first) into {@code target}, an existing empty directory. */
    void applyAll(List<Path> layers, Path target) throws IOException {
        for (Path layer : layers) {
            apply(layer, target);
        }
    }

    void apply(Path layer, Path target) throws IOException {
        applyDirectory(layer, target);
        FileCopier.applyMetadata(layer, FileStat.of(layer), target);
    }

    private void applyDirectory(Path source, Path target) throws IOException {
        for (String name : Trees.names(source)) {
            Path from = source.resolve(name);
            Path to = target.resolve(name);
            FileStat info = FileStat.of(from);
            FileStat existing = FileStat.ofIfExists(to).orElse(null);
            if (info.isWhiteout()) {
                Trees.deleteRecursively(to);
                continue;
            }
            if (info.isDirectory()) {
                if (existing != null && !existing.isDirectory()) {
                    Trees.deleteRecursively(to);
                    existing = null;
                }
                if (existing == null) {
                    Files.createDirectory(to);
                } else if (OverlayMarkers.isOpaque(from)) {
                    Trees.deleteContents(to);
                }
                applyDirectory(from, to);
                FileCopier.applyMetadata(from, info, to);
            } else {
                if (existing != null) {
                    Trees.deleteRecursively(to);
                }
                copier.copyEntry(from, info, to);
            }
        }
    }
}
