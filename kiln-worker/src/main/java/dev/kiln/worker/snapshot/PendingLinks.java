package dev.kiln.worker.snapshot;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.worker.fs.FileStat;
import dev.kiln.worker.fs.LayerFile;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Files of an overlay snapshot's new layer that are hard links to files of committed layers, made when the snapshot
 * is committed. A copy of an immutable file with nothing of its metadata changed needs no inode of its own: creating
 * one costs about ten times a link on ext4, which is what a COPY of a big, mostly unchanged context spends its time
 * on. Sharing is safe because neither side is ever written again: committed layers are immutable, and a later step
 * that changes the file works on an overlay above the layer, whose copy-up gives it an inode of its own.
 *
 * <p>The links go straight into the upper directory, which overlayfs forbids while it is mounted, so they wait for
 * the commit's unmount. Until then the mounted view does not show them; the copy that records them calls
 * {@link #forget} before it writes anything else at such a path. Adding an entry changes its directory's times,
 * which the copy has already set: they are put back.
 */
public final class PendingLinks {
    private final LayerStore store;
    private final Path upper;
    private final TreeMap<String, LayerFile> links = new TreeMap<>();

    PendingLinks(LayerStore store, Path upper) {
        this.store = store;
        this.upper = upper;
    }

    /**
     * Whether a link can go into {@code relativeDir} (relative to the snapshot's root, no leading slash): the directory
     * must already be in the new layer, made or copied up by the writes so far; a link never makes a directory.
     */
    public boolean canLinkInto(String relativeDir) {
        return Files.isDirectory(relativeDir.isEmpty() ? upper : upper.resolve(relativeDir), LinkOption.NOFOLLOW_LINKS);
    }

    /** At commit, {@code relative} becomes a hard link to {@code file}, a regular file of a committed layer. */
    public void add(String relative, LayerFile file) {
        links.put(relative, file);
    }

    /** Something else is written at {@code relative}: no link is made there, nor below it with {@code subtree}. */
    public void forget(String relative, boolean subtree) {
        if (links.isEmpty()) {
            return;
        }
        links.remove(relative);
        if (subtree) {
            links.subMap(relative + "/", relative + "0")
                    .clear(); // '0' follows '/': every "relative/..." key sorts between
        }
    }

    boolean isEmpty() {
        return links.isEmpty();
    }

    /**
     * Makes the links in the unmounted upper directory, replacing whiteouts, then restores the directories' times.
     * Where a link cannot be made (the layers on another mount than the new layer: EXDEV), the file is copied with
     * every attribute instead, as the copy would have done. The store's listener hears of the linked files' layers
     * first: their files gain names.
     */
    void apply() throws IOException {
        Set<Path> layers = new HashSet<>();
        for (LayerFile file : links.values()) {
            layers.add(file.layer());
        }
        Snapshotter.LayerLinks.Linking linking = store.linking(layers);
        try {
            makeLinks();
        } finally {
            linking.close();
        }
        links.clear();
    }

    private void makeLinks() throws IOException {
        Map<Path, FileStat> directories = new LinkedHashMap<>();
        FileCopier fallback = new FileCopier(false);
        for (Map.Entry<String, LayerFile> link : links.entrySet()) {
            Path target = upper.resolve(link.getKey());
            Path directory = target.getParent();
            if (!directories.containsKey(directory)) {
                directories.put(directory, FileStat.of(directory));
            }
            Path file = link.getValue().path();
            if (!linkOrCopy(file, target, fallback)) {
                // a whiteout the copy's removal of a lower file left: the link replaces it in one rename(2)
                Path at = directory.resolve(".kiln-link-" + Ids.random(12));
                linkOrCopy(file, at, fallback);
                Files.move(at, target, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        for (Map.Entry<Path, FileStat> directory : directories.entrySet()) {
            PosixFiles.setTimes(
                    directory.getKey(),
                    directory.getValue().accessed(),
                    directory.getValue().modified());
        }
    }

    /**
     * Links {@code file} at {@code at}, or copies it where no link can be made (EXDEV); false when {@code at} exists.
     * Trying the link first spares a stat of every path, of which only whiteouts exist.
     */
    private static boolean linkOrCopy(Path file, Path at, FileCopier fallback) throws IOException {
        try {
            Files.createLink(at, file);
        } catch (FileAlreadyExistsException exists) {
            return false;
        } catch (FileSystemException crossDevice) {
            // link(2) reports an existing name before a cross-device pair, so the copy has a free name
            fallback.copyEntry(file, FileStat.of(file), at);
        }
        return true;
    }
}
