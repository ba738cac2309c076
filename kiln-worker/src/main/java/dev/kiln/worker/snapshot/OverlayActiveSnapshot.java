package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.SyscallException;
import dev.kiln.worker.fs.FileStat;
import dev.kiln.worker.sys.Mounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An overlay mount of the parent's layers under a fresh upper directory. On a scratch parent there is nothing to
 * stack, so the upper directory itself is the mount. Committing renames the upper directory into a layer.
 */
final class OverlayActiveSnapshot extends StoredActiveSnapshot {
    private final Path upper;
    private final Path mountPoint;
    private final FileStat upperRootAtStart;
    private final PendingLinks pendingLinks;
    private boolean mounted;

    private OverlayActiveSnapshot(
            LayerStore store,
            Snapshot parent,
            Path directory,
            Path upper,
            Path mountPoint,
            List<String> held,
            FileStat upperRootAtStart,
            boolean mounted) {
        super(store, parent, directory, held);
        this.upper = upper;
        this.mountPoint = mountPoint;
        this.upperRootAtStart = upperRootAtStart;
        this.pendingLinks = new PendingLinks(store, upper);
        this.mounted = mounted;
    }

    static OverlayActiveSnapshot create(OverlaySnapshotter owner, LayerStore store, Snapshot parent)
            throws IOException {
        Path directory = store.newWorkDirectory();
        OverlaySnapshotter.LowerStack lowers = null;
        try {
            Path upper = Files.createDirectory(directory.resolve("upper"));
            if (parent.isScratch()) {
                PosixFiles.chmod(upper, 0755);
            } else {
                // overlay shows the upper directory's own attributes for "/", so it starts as the parent's root
                Path top = store.layerPath(parent.layers().getLast());
                FileCopier.applyMetadata(top, FileStat.of(top), upper);
            }
            FileStat upperRoot = FileStat.of(upper);
            if (parent.isScratch()) {
                OverlayActiveSnapshot active =
                        new OverlayActiveSnapshot(store, parent, directory, upper, upper, List.of(), upperRoot, false);
                store.register(active);
                return active;
            }
            Path work = Files.createDirectory(directory.resolve("work"));
            Path merged = Files.createDirectory(directory.resolve("merged"));
            String rest = ",upperdir=" + upper + ",workdir=" + work + owner.options();
            lowers = owner.lowers(parent.layers(), OverlaySnapshotter.utf8Length(rest), false);
            Mounts.mount("overlay", merged, "overlay", 0, lowers.option() + rest);
            OverlayActiveSnapshot active =
                    new OverlayActiveSnapshot(store, parent, directory, upper, merged, lowers.held(), upperRoot, true);
            store.register(active);
            return active;
        } catch (IOException | RuntimeException e) {
            abandon(store, lowers == null ? List.of() : lowers.held(), directory);
            throw e;
        }
    }

    @Override
    Path view() {
        return mountPoint;
    }

    @Override
    public Optional<PendingLinks> pendingLinks() {
        requireActive("link into");
        return Optional.of(pendingLinks);
    }

    @Override
    Snapshot commitWrites() throws IOException {
        if (mounted) {
            unmountForCommit();
            mounted = false;
        }
        if (!pendingLinks.isEmpty()) {
            pendingLinks.apply(); // before the pruning below, which would drop a directory that only links fill
        }
        return unchanged() ? store.record(parent.layers()) : store.recordWithNewLayer(parent.layers(), upper);
    }

    /**
     * Unmounts the view before its upper directory becomes a layer. A container that just ended can hold the
     * mount for a moment longer (its runtime is still tearing its namespace down), so EBUSY is retried for a
     * short while before it counts as a process still running in the view.
     */
    private void unmountForCommit() throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                Mounts.unmount(mountPoint, 0);
                return;
            } catch (SyscallException e) {
                if (e.errno() != SyscallException.EBUSY) {
                    throw e;
                }
                if (attempt >= 50) {
                    throw new IOException(
                            "cannot commit the snapshot prepared from " + parent.id() + ": its mount " + mountPoint
                                    + " is still in use (is a process still running in it?)",
                            e);
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new IOException(
                        "interrupted while committing the snapshot prepared from " + parent.id(), interrupted);
            }
        }
    }

    /**
     * Drops from the upper directory what overlay copied up without a change, then says whether anything is
     * left. Without the pruning, a step that writes one file would also carry every directory the runtime's
     * mount stubs made overlay copy up (such as /etc for /etc/hosts), and merging that layer onto another base
     * would reset those directories to this base's attributes.
     */
    private boolean unchanged() throws IOException {
        List<Path> lowers = store.layerPaths(parent.layers()).reversed();
        pruneUnchangedDirectories(upper, lowers);
        FileStat root = FileStat.of(upper);
        if (root.mode() != upperRootAtStart.mode()
                || root.uid() != upperRootAtStart.uid()
                || root.gid() != upperRootAtStart.gid()) {
            return false;
        }
        return Trees.names(upper).isEmpty();
    }

    /** Removes, bottom up, the copied-up directories that are the same as below and hold nothing changed. */
    private static void pruneUnchangedDirectories(Path upperDir, List<Path> lowerDirs) throws IOException {
        for (String name : Trees.names(upperDir)) {
            Path copied = upperDir.resolve(name);
            FileStat now = FileStat.of(copied);
            if (!now.isDirectory() || OverlayMarkers.isOpaque(copied)) {
                continue;
            }
            List<Path> below = lowerDirectories(lowerDirs, name);
            if (below.isEmpty()
                    || !TreeDiff.sameDirectoryAttributes(
                            below.getFirst(), FileStat.of(below.getFirst()), copied, now)) {
                continue;
            }
            pruneUnchangedDirectories(copied, below);
            if (Trees.names(copied).isEmpty()) {
                Files.delete(copied);
            }
        }
    }

    /** The directories overlay merges under {@code name} at this level, top first, found as overlay looks them up. */
    private static List<Path> lowerDirectories(List<Path> lowerDirs, String name) throws IOException {
        List<Path> below = new ArrayList<>();
        for (Path lowerDir : lowerDirs) {
            Path candidate = lowerDir.resolve(name);
            FileStat info = FileStat.ofIfExists(candidate).orElse(null);
            if (info == null) {
                continue;
            }
            if (!info.isDirectory()) {
                break;
            }
            below.add(candidate);
            if (OverlayMarkers.isOpaque(candidate)) {
                break;
            }
        }
        return below;
    }

    @Override
    void discard() throws IOException {
        if (mounted) {
            OverlaySnapshotter.unmount(mountPoint);
            mounted = false;
        }
    }
}
