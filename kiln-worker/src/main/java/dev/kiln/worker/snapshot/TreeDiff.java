package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import dev.kiln.core.sys.Xattrs;
import dev.kiln.worker.fs.FileStat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Computes the layer that turns one tree into another by walking both side by side: added and changed entries are
 * copied, deleted ones become whiteouts, and the directories above a change are recreated with the new tree's
 * metadata. Files count as unchanged when type, owner, mode, size, nanosecond mtime and xattrs all match; content is
 * only compared when the filesystem keeps no sub-second times.
 */
final class TreeDiff {
    private final Path lower;
    private final Path upper;
    private final Path out;
    private final FileCopier copier = new FileCopier(false);
    /** Directories made in {@code out}, relative, in creation order (parents before children). */
    private final Set<Path> created = new LinkedHashSet<>();

    private boolean changed;

    private TreeDiff(Path lower, Path upper, Path out) {
        this.lower = lower;
        this.upper = upper;
        this.out = out;
    }

    /** Writes the layer into {@code out} (an existing empty directory); returns false when the trees are the same. */
    static boolean compute(Path lower, Path upper, Path out) throws IOException {
        TreeDiff diff = new TreeDiff(lower, upper, out);
        FileStat upperRoot = FileStat.of(upper);
        diff.compareDirectory(Path.of(""));
        List<Path> dirs = new ArrayList<>(diff.created);
        for (int i = dirs.size() - 1; i >= 0; i--) {
            Path source = upper.resolve(dirs.get(i).toString());
            FileCopier.applyMetadata(
                    source, FileStat.of(source), out.resolve(dirs.get(i).toString()));
        }
        FileCopier.applyMetadata(upper, upperRoot, out);
        // The root's mtime is left out: it only moves when entries come and go, and those are compared one by one.
        FileStat lowerRoot = FileStat.of(lower);
        return diff.changed
                || lowerRoot.mode() != upperRoot.mode()
                || lowerRoot.uid() != upperRoot.uid()
                || lowerRoot.gid() != upperRoot.gid()
                || !sameXattrs(lower, upper);
    }

    private void compareDirectory(Path relative) throws IOException {
        Path lowerDir = lower.resolve(relative.toString());
        Path upperDir = upper.resolve(relative.toString());
        List<String> upperNames = Trees.names(upperDir);
        Set<String> upperSet = new HashSet<>(upperNames);
        Set<String> lowerNames = new HashSet<>(Trees.names(lowerDir));
        for (String name : lowerNames) {
            if (!upperSet.contains(name)) {
                ensureDirectory(relative);
                OverlayMarkers.makeWhiteout(out.resolve(relative.resolve(name).toString()));
                changed = true;
            }
        }
        for (String name : upperNames) {
            Path child = relative.resolve(name);
            Path upperPath = upper.resolve(child.toString());
            FileStat now = FileStat.of(upperPath);
            FileStat before = lowerNames.contains(name) ? FileStat.of(lower.resolve(child.toString())) : null;
            if (before != null && before.isDirectory() && now.isDirectory()) {
                if (!sameDirectoryAttributes(lower.resolve(child.toString()), before, upperPath, now)) {
                    ensureDirectory(child);
                    changed = true;
                }
                compareDirectory(child);
            } else if (before == null || !sameEntry(lower.resolve(child.toString()), before, upperPath, now)) {
                ensureDirectory(relative);
                copier.copyTree(upperPath, now, out.resolve(child.toString()));
                changed = true;
            }
        }
    }

    private void ensureDirectory(Path relative) throws IOException {
        if (relative.toString().isEmpty() || created.contains(relative)) {
            return;
        }
        Path parent = relative.getParent();
        ensureDirectory(parent == null ? Path.of("") : parent);
        Files.createDirectory(out.resolve(relative.toString()));
        created.add(relative);
    }

    static boolean sameDirectoryAttributes(Path a, FileStat x, Path b, FileStat y) throws IOException {
        return x.mode() == y.mode()
                && x.uid() == y.uid()
                && x.gid() == y.gid()
                && x.modified().equals(y.modified())
                && sameXattrs(a, b);
    }

    private static boolean sameEntry(Path a, FileStat x, Path b, FileStat y) throws IOException {
        if (x.sameInode(y)) {
            return true;
        }
        if (x.mode() != y.mode() || x.uid() != y.uid() || x.gid() != y.gid() || x.size() != y.size()) {
            return false;
        }
        if (x.isDevice() && x.rdev() != y.rdev()) {
            return false;
        }
        if (x.isSymlink() && !Files.readSymbolicLink(a).equals(Files.readSymbolicLink(b))) {
            return false;
        }
        if (!x.modified().equals(y.modified())) {
            return false;
        }
        if (x.isRegularFile() && x.modified().toInstant().getNano() == 0 && !sameContent(a, b)) {
            return false;
        }
        return sameXattrs(a, b);
    }

    static boolean sameXattrs(Path a, Path b) throws IOException {
        List<String> names = Xattrs.list(a).stream()
                .filter(n -> !OverlayMarkers.isOverlayAttribute(n))
                .sorted()
                .toList();
        List<String> others = Xattrs.list(b).stream()
                .filter(n -> !OverlayMarkers.isOverlayAttribute(n))
                .sorted()
                .toList();
        if (!names.equals(others)) {
            return false;
        }
        for (String name : names) {
            Optional<byte[]> x = Xattrs.get(a, name);
            Optional<byte[]> y = Xattrs.get(b, name);
            if (x.isPresent() != y.isPresent() || (x.isPresent() && !Arrays.equals(x.get(), y.get()))) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameContent(Path a, Path b) throws IOException {
        try (InputStream x = Files.newInputStream(a);
                InputStream y = Files.newInputStream(b)) {
            byte[] bx = new byte[65536];
            byte[] by = new byte[65536];
            while (true) {
                int nx = x.readNBytes(bx, 0, bx.length);
                int ny = y.readNBytes(by, 0, by.length);
                if (nx != ny || !Arrays.equals(bx, 0, nx, by, 0, ny)) {
                    return false;
                }
                if (nx < bx.length) {
                    return true;
                }
            }
        }
    }
}
