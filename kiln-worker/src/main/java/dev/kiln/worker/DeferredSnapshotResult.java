package dev.kiln.worker;

import dev.kiln.solver.Result;
import dev.kiln.worker.image.LayerBlob;
import dev.kiln.worker.snapshot.Snapshot;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * A result whose snapshot is made only when something first uses it: a cache import's layer chain, unpacked when a
 * step mounts it or an export reads it, never when every step that consumes it is itself a cache hit. Its id names
 * the chain rather than a snapshot, so the solver can record it before the snapshot exists, and a later build finds
 * it again by that id (see {@link dev.kiln.worker.image.ImageStore#deferredResult}).
 */
public final class DeferredSnapshotResult implements Result {

    /** How the id of a deferred result begins; the rest is the hex of its layers' chain ID. */
    public static final String ID_PREFIX = "chain-";

    /** Makes the snapshot; called at most once. */
    @FunctionalInterface
    public interface Maker {
        Snapshot make() throws IOException;
    }

    private final String id;
    private final List<LayerBlob> layers;
    private final Maker maker;
    // Guarded by this.
    private Snapshot made;

    /** @param layers the blobs the snapshot is made of, bottom first, every one in the content store */
    public DeferredSnapshotResult(String chainHex, List<LayerBlob> layers, Maker maker) {
        this.id = ID_PREFIX + Objects.requireNonNull(chainHex, "chain");
        this.layers = List.copyOf(layers);
        this.maker = Objects.requireNonNull(maker, "maker");
    }

    @Override
    public String id() {
        return id;
    }

    /** The layer blobs the snapshot is made of, bottom first: an image export can list them without making it. */
    public List<LayerBlob> layers() {
        return layers;
    }

    /** Whether the snapshot has been made (then its layers are on disk, and an export reads them from there). */
    public synchronized boolean made() {
        return made != null;
    }

    /** The snapshot, made on the first call; a failed make is tried again by the next caller. */
    public synchronized Snapshot snapshot() throws IOException {
        if (made == null) {
            made = maker.make();
        }
        return made;
    }

    @Override
    public String toString() {
        return "deferred result " + id;
    }
}
