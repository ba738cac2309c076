package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import dev.kiln.worker.fs.FileStat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A full copy of the parent's content; its commit computes the new layer by comparing the copy with the parent. */
final class CopyActiveSnapshot implements ActiveSnapshot {
    private enum State {
        ACTIVE,
        COMMITTED,
        CLOSED
    }

    private final CopySnapshotter owner;
    private final LayerStore store;
    private final Snapshot parent;
    private final Path directory;
    private final Path rootfs;
    private State state = State.ACTIVE;

    private CopyActiveSnapshot(CopySnapshotter owner, LayerStore store, Snapshot parent, Path directory, Path rootfs) {
        this.owner = owner;
        this.store = store;
        this.parent = parent;
        this.directory = directory;
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
            store.release(parent.layers());
            Trees.deleteRecursively(directory);
            throw e;
        }
    }

    @Override
    public Snapshot parent() {
        return parent;
    }

    @Override
    public Path mount() {
        requireActive("mount");
        return rootfs;
    }

    @Override
    public synchronized Snapshot commit() throws IOException {
        requireActive("commit");
        Path layer = Files.createDirectory(directory.resolve("layer"));
        Snapshot result;
        try (Mounted before = owner.mountReadOnly(parent)) {
            result = TreeDiff.compute(before.path(), rootfs, layer)
                    ? store.recordWithNewLayer(parent.layers(), layer)
                    : store.record(parent.layers());
        } catch (IOException | RuntimeException e) {
            Trees.deleteRecursively(layer);
            throw e;
        }
        state = State.COMMITTED;
        cleanUp();
        return result;
    }

    @Override
    public synchronized void close() throws IOException {
        if (state == State.ACTIVE) {
            state = State.CLOSED;
            cleanUp();
        }
    }

    private void cleanUp() throws IOException {
        try {
            Trees.deleteRecursively(directory);
        } finally {
            store.release(parent.layers());
            store.unregister(this);
        }
    }

    private void requireActive(String action) {
        if (state != State.ACTIVE) {
            throw new IllegalStateException("cannot " + action + " the snapshot prepared from " + parent.id()
                    + ": it is already " + state.name().toLowerCase(java.util.Locale.ROOT));
        }
    }
}
