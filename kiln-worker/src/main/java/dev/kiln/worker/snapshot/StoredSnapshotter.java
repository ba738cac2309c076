package dev.kiln.worker.snapshot;

import dev.kiln.core.ReleaseOnce;
import dev.kiln.core.Trees;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What both snapshotters do the same way, on the layer store they share the format of: merging,
 * diffing, importing layers, finding and removing snapshots. They differ only in how a snapshot
 * becomes a directory (prepare, read-only views).
 */
abstract sealed class StoredSnapshotter implements Snapshotter permits OverlaySnapshotter, CopySnapshotter {
    final LayerStore store;

    StoredSnapshotter(LayerStore store) {
        this.store = store;
    }

    @Override
    public final ActiveSnapshot prepare(Snapshot parent) throws IOException {
        store.requireLayers(parent);
        return prepareLayers(parent);
    }

    /** A writable view of {@code parent}, whose layers are known to be in the store. */
    abstract ActiveSnapshot prepareLayers(Snapshot parent) throws IOException;

    @Override
    public final Mounted mountReadOnly(Snapshot snapshot) throws IOException {
        store.requireLayers(snapshot);
        if (snapshot.isScratch()) {
            return new Mounted(snapshot, store.emptyDirectory(), () -> {});
        }
        return mountLayers(snapshot);
    }

    @Override
    public final Mounted readInPlace(Snapshot snapshot) throws IOException {
        if (snapshot.layers().size() != 1) {
            return mountReadOnly(snapshot);
        }
        store.requireLayers(snapshot);
        store.acquire(snapshot.layers());
        Path layer = store.layerPath(snapshot.layers().getFirst());
        return registered(snapshot, layer, List.of(), true, snapshot.layers(), () -> {});
    }

    /** A read-only view of {@code snapshot}, which has layers, all of them in the store. */
    abstract Mounted mountLayers(Snapshot snapshot) throws IOException;

    /**
     * A view at {@code path}, inside the work directory {@code dir}, registered with the store until it is closed;
     * closing runs {@code undo} (an unmount, say), deletes {@code dir} and releases the {@code held} layers.
     */
    Mounted registeredView(
            Snapshot snapshot, Path path, List<Path> layers, Path dir, List<String> held, ReleaseOnce.Release undo) {
        return registered(snapshot, path, layers, false, held, () -> {
            undo.run();
            Trees.deleteRecursively(dir);
        });
    }

    /** A view registered with the store until it is closed; closing runs {@code undo}, then releases {@code held}. */
    private Mounted registered(
            Snapshot snapshot,
            Path path,
            List<Path> layers,
            boolean inPlace,
            List<String> held,
            ReleaseOnce.Release undo) {
        Mounted[] self = new Mounted[1];
        self[0] = new Mounted(snapshot, path, layers, inPlace, () -> {
            try {
                undo.run();
            } finally {
                store.release(held);
                store.unregister(self[0]);
            }
        });
        store.register(self[0]);
        return self[0];
    }

    @Override
    public Path root() {
        return store.root();
    }

    @Override
    public Snapshot merge(List<Snapshot> inputs) throws IOException {
        return SnapshotAlgebra.merge(store, inputs);
    }

    @Override
    public Snapshot diff(Snapshot lower, Snapshot upper) throws IOException {
        return SnapshotAlgebra.diff(store, this::mountReadOnly, lower, upper);
    }

    @Override
    public Snapshot importLayer(Snapshot parent, LayerFiller filler) throws IOException {
        return store.importLayer(parent, filler);
    }

    @Override
    public Optional<Snapshot> load(String id) throws IOException {
        return store.load(id);
    }

    @Override
    public void remove(String id) throws IOException {
        store.remove(id);
    }

    @Override
    public List<Snapshot> list() throws IOException {
        return store.list();
    }

    @Override
    public Optional<Instant> createdAt(String id) throws IOException {
        return store.createdAt(id);
    }

    @Override
    public Path layerPath(String layerId) {
        return store.layerPath(layerId);
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
