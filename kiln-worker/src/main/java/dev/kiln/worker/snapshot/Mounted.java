package dev.kiln.worker.snapshot;

import dev.kiln.core.ReleaseOnce;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A snapshot's content at a path, for reading (bind mounts of other refs, diffs, exports). The content must not be
 * modified: depending on the snapshotter it may share files with the snapshot's layers. Close it when done.
 */
public final class Mounted implements AutoCloseable {

    private final Snapshot snapshot;
    private final Path path;
    private final ReleaseOnce release;
    private final List<Path> layers;
    private final boolean inPlace;

    Mounted(Snapshot snapshot, Path path, ReleaseOnce.Release release) {
        this(snapshot, path, List.of(), false, release);
    }

    /**
     * A view that shows {@code layers} (top first) stacked, each file as the inode of the layer that holds it; with
     * {@code inPlace}, {@code path} is a stored layer's own directory (see {@link #inPlace}).
     */
    Mounted(Snapshot snapshot, Path path, List<Path> layers, boolean inPlace, ReleaseOnce.Release release) {
        this.snapshot = snapshot;
        this.path = path;
        this.layers = List.copyOf(layers);
        this.inPlace = inPlace;
        this.release = new ReleaseOnce(release);
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    public Path path() {
        return path;
    }

    /**
     * The committed layer directories this view stacks, top first, when the view shows their files as they are (an
     * overlay mount); empty otherwise. Their files never change, so a copy may link to them (see
     * {@link ActiveSnapshot#pendingLinks()}); the layers stay held while the view is open.
     */
    public List<Path> layers() {
        return layers;
    }

    /**
     * Whether {@link #path} is a stored layer's own directory rather than a mount ({@link Snapshotter#readInPlace}):
     * overlayfs's whiteouts show there as character devices 0/0 that a reader must take for absent files, and a write
     * would change the layer itself.
     */
    public boolean inPlace() {
        return inPlace;
    }

    @Override
    public void close() throws IOException {
        release.close();
    }
}
