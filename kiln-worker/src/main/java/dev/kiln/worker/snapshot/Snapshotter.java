package dev.kiln.worker.snapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Immutable, persisted snapshots under one state directory. {@link OverlaySnapshotter} stacks layers with
 * overlayfs and never copies a rootfs; {@link CopySnapshotter} keeps the same on-disk format but materializes views
 * by copying, for hosts where overlayfs cannot be mounted. All methods are safe to call from many threads.
 *
 * <p>On disk, under the root: {@code l/<layer>} complete layers, {@code snapshots/<id>} snapshot records,
 * {@code squashes/} squashed layer stacks, {@code work/} in-progress state that {@link #open} cleans up.
 * Only one process may open a root at a time.
 */
public sealed interface Snapshotter extends AutoCloseable permits StoredSnapshotter {
    /** Opens (creating if needed) the state at {@code root}, with overlayfs when a probe mount there works. */
    static Snapshotter open(Path root) throws IOException {
        return open(root, Uses.NONE);
    }

    /** As {@link #open(Path)}, telling {@code uses} of every snapshot that is recorded or loaded. */
    static Snapshotter open(Path root, Uses uses) throws IOException {
        return open(root, uses, LayerLinks.NONE);
    }

    /**
     * As {@link #open(Path, Uses)}, also telling {@code links} of the committed layers whose files a commit gives more
     * names.
     */
    static Snapshotter open(Path root, Uses uses, LayerLinks links) throws IOException {
        LayerStore store = LayerStore.open(root, uses, links);
        try {
            Optional<String> options = OverlaySnapshotter.probe(store);
            if (options.isPresent()) {
                return new OverlaySnapshotter(store, options.get());
            }
            return new CopySnapshotter(store);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    Path root();

    /** A writable view of {@code parent}; see {@link ActiveSnapshot}. */
    ActiveSnapshot prepare(Snapshot parent) throws IOException;

    /** {@code snapshot}'s content at a path, for reading only. */
    Mounted mountReadOnly(Snapshot snapshot) throws IOException;

    /**
     * {@code snapshot}'s content for a few reads by this process (the gateway's readFile, statFile and readDir): a
     * snapshot of one layer, such as a frontend's Dockerfile context, is that layer's own directory, which saves a
     * mount, an unmount and two directories on each read (7 ms of a cached build's 40 in the daemon); others are
     * mounted as by {@link #mountReadOnly}. The path may be the stored layer itself, so nothing may write under it or
     * hand it to a container, and its reader hides whiteouts (see {@link Mounted#inPlace}).
     */
    Mounted readInPlace(Snapshot snapshot) throws IOException;

    /**
     * The inputs stacked in order, later ones on top, without copying files: the result's layers are the inputs'
     * layers. A layer that appears more than once is kept only at its highest position, which gives the same content.
     */
    Snapshot merge(List<Snapshot> inputs) throws IOException;

    /**
     * The changes that turn {@code lower} into {@code upper}: when upper was built on lower, upper's remaining layers
     * (no copy); otherwise one new layer computed by comparing the two trees, with deletions as whiteouts.
     */
    Snapshot diff(Snapshot lower, Snapshot upper) throws IOException;

    /**
     * A new snapshot: {@code parent}'s layers plus one layer that {@code filler} writes, in the format of
     * {@link #layerPath}, into an empty directory. This is how an image layer pulled from a registry becomes a
     * snapshot without being mounted or copied. The layer becomes visible only after {@code filler} returns.
     */
    Snapshot importLayer(Snapshot parent, LayerFiller filler) throws IOException;

    /** Writes one layer's files into an empty directory. */
    @FunctionalInterface
    interface LayerFiller {
        void fill(Path emptyLayerDirectory) throws IOException;
    }

    /** A snapshot persisted earlier, by any process; empty if it does not exist (any more). */
    Optional<Snapshot> load(String id) throws IOException;

    /** Forgets a snapshot and deletes the layers no other snapshot uses. Unknown ids are ignored. */
    void remove(String id) throws IOException;

    /** Every persisted snapshot, in no particular order (for disk usage listings and pruning). */
    List<Snapshot> list() throws IOException;

    /** When the snapshot was recorded, or empty if it does not exist (any more). */
    Optional<Instant> createdAt(String id) throws IOException;

    /**
     * Hears of each snapshot a caller is about to use, so that whoever prunes knows what is in use. A snapshot is
     * only reachable through {@link #load} or by being made, so these two calls see every use.
     */
    interface Uses {
        Uses NONE = new Uses() {
            @Override
            public boolean loading(String id) {
                return true;
            }

            @Override
            public void recorded(String id) {}
        };

        /**
         * {@code id} is about to be loaded. False means it is being removed right now: the load then finds nothing,
         * as it would a moment later.
         */
        boolean loading(String id);

        /** {@code id} was just made; it is in use by its maker. Called before the snapshot is visible to a listing. */
        void recorded(String id);
    }

    /**
     * Hears of files of committed layers gaining names: a commit makes the hard links to them that a copy shares
     * instead of copying ({@link PendingLinks}) in its new layer. Committed layers never change, but their files' link
     * counts do, so whoever keeps what a count told must not keep it past the links: du's measure of a layer counts a
     * file with one name as only that layer's, and the copy's layer would then count it a second time.
     */
    @FunctionalInterface
    interface LayerLinks {
        LayerLinks NONE = layers -> () -> {};

        /**
         * Links to files of {@code layers} are about to be made; what this returns is closed once they are made, or
         * failed. It is told before the first link, so that what it forgets on disk stays forgotten should the
         * process die while the links are made; a failure fails the commit before any link is made.
         */
        Linking linking(Set<String> layers) throws IOException;

        /** Links being made; closed when they are made, or failed. */
        interface Linking extends AutoCloseable {
            @Override
            void close();
        }
    }

    /**
     * The directory of one layer, in overlayfs's format: files as they are, deletions as 0/0 character devices
     * (whiteouts), replaced directories marked with the xattr {@code trusted.overlay.opaque=y}. Overlayfs's other
     * {@code trusted.overlay.*} attributes may be present and mean nothing outside a mount. Read only.
     */
    Path layerPath(String layerId);

    /** Discards every active snapshot and view still open, then releases the state directory. */
    @Override
    void close() throws IOException;
}
