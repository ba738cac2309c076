package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Snapshots without overlayfs, in the same on-disk format: a prepare copies the parent's flattened content, a
 * commit compares it with the parent and writes the difference as a layer (with whiteouts for deletions).
 * Read-only views are flattened with hard links to the immutable layer files, so they copy no file data.
 */
public final class CopySnapshotter extends StoredSnapshotter {

    CopySnapshotter(LayerStore store) {
        super(store);
    }

    public static CopySnapshotter open(Path root) throws IOException {
        return new CopySnapshotter(LayerStore.open(root));
    }

    @Override
    ActiveSnapshot prepareLayers(Snapshot parent) throws IOException {
        return CopyActiveSnapshot.create(this, store, parent);
    }

    @Override
    Mounted mountLayers(Snapshot snapshot) throws IOException {
        store.acquire(snapshot.layers());
        Path dir;
        Path view;
        try {
            dir = store.newWorkDirectory();
            view = dir.resolve("view");
            try {
                Files.createDirectory(view);
                new LayerFlattener(new FileCopier(true)).applyAll(store.layerPaths(snapshot.layers()), view);
            } catch (IOException | RuntimeException e) {
                Trees.deleteRecursively(dir);
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            store.release(snapshot.layers());
            throw e;
        }
        return registeredView(snapshot, view, List.of(), dir, snapshot.layers(), () -> {});
    }
}
