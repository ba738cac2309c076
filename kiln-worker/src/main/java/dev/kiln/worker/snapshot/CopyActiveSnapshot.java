package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import dev.kiln.worker.fs.FileStat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A full copy of the parent's content; its commit computes the new layer by comparing the copy with the parent. */
final class CopyActiveSnapshot extends StoredActiveSnapshot {
    private final CopySnapshotter owner;
    private final Path rootfs;

    private CopyActiveSnapshot(CopySnapshotter owner, LayerStore store, Snapshot parent, Path directory, Path rootfs) {
        super(store, parent, directory, parent.layers());
        this.owner = owner;
        this.rootfs = rootfs;
    }

    static CopyActiveSnapshot create(CopySnapshotter owner, LayerStore store, Snapshot parent) throws IOException {
        Path directory = store.newWorkDirectory();
        store.acquire(parent.layers());
        try {
            Path rootfs = Files.createDirectory(directory.resolve("rootfs"));
            if (parent.isScratch()) {
                FileCopier.applyMetadata(store.emptyDirectory(), FileStat.of(store.emptyDirectory()), rootfs);
            }
            new LayerFlattener(new FileCopier(false)).applyAll(store.layerPaths(parent.layers()), rootfs);
            CopyActiveSnapshot active = new CopyActiveSnapshot(owner, store, parent, directory, rootfs);
            store.register(active);
            return active;
        } catch (IOException | RuntimeException e) {
            abandon(store, parent.layers(), directory);
            throw e;
        }
    }

    @Override
    Path view() {
        return rootfs;
    }

    @Override
    Snapshot commitWrites() throws IOException {
        Path layer = Files.createDirectory(directory.resolve("layer"));
        try (Mounted before = owner.mountReadOnly(parent)) {
            return TreeDiff.compute(before.path(), rootfs, layer)
                    ? store.recordWithNewLayer(parent.layers(), layer)
                    : store.record(parent.layers());
        } catch (IOException | RuntimeException e) {
            Trees.deleteRecursively(layer);
            throw e;
        }
    }
}
