package dev.kiln.worker.snapshot;

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
