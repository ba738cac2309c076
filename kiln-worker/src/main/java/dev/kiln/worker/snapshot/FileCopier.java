package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.Xattrs;
import dev.kiln.worker.fs.FileStat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Copies directory entries with everything that makes them what they are: type, content, owner, full mode,
 * extended attributes (except overlayfs's own) and nanosecond times. Files hard-linked to each other stay linked.
 *
 * <p>With {@code linkFiles}, regular files are hard-linked to the source instead of copied: right for views of
 * immutable layers, wrong for anything that will be written to.
 */
final class FileCopier {
    private record InodeKey(long dev, long inode) {}

    private final boolean linkFiles;
    private final Map<InodeKey, Path> copiedInodes = new HashMap<>();

    FileCopier(boolean linkFiles) {
        this.linkFiles = linkFiles;
    }

    /** Copies {@code source} (described by {@code info}) to the absent {@code target}, a directory with its whole tree. */
    void copyTree(Path source, FileStat info, Path target) throws IOException {
        if (!info.isDirectory()) {
            copyEntry(source, info, target);
            return;
        }
        Files.createDirectory(target);
        for (String name : Trees.names(source)) {
            Path child = source.resolve(name);
            copyTree(child, FileStat.of(child), target.resolve(name));
        }
        applyMetadata(source, info, target);
    }

    /** Copies one non-directory entry. */
    void copyEntry(Path source, FileStat info, Path target) throws IOException {
        switch (info.type()) {
            case REGULAR -> {
                if (linkFiles) {
                    Files.createLink(target, source);
                    return;
                }
                InodeKey key = new InodeKey(info.device(), info.inode());
                Path earlier = info.links() > 1 ? copiedInodes.get(key) : null;
                if (earlier != null) {
                    Files.createLink(target, earlier);
                    return;
                }
                Files.copy(source, target, LinkOption.NOFOLLOW_LINKS);
                if (info.links() > 1) {
                    copiedInodes.put(key, target);
                }
            }
            case SYMLINK -> Files.createSymbolicLink(target, Files.readSymbolicLink(source));
            case CHAR_DEVICE, BLOCK_DEVICE, FIFO, SOCKET -> PosixFiles.mknod(target, info.mode(), info.rdev());
            case DIRECTORY -> throw new IllegalArgumentException("copyEntry of a directory: " + source);
        }
        applyMetadata(source, info, target);
    }

    /**
     * Makes {@code target}'s owner, mode, extended attributes and times those of {@code source}. The order matters:
     * chown clears setuid bits and file capabilities, so it comes first; times come last.
     */
    static void applyMetadata(Path source, FileStat info, Path target) throws IOException {
        PosixFiles.lchown(target, info.uid(), info.gid());
        if (!info.isSymlink()) {
            PosixFiles.chmod(target, info.permissions());
        }
        for (String name : Xattrs.list(source)) {
            if (!OverlayMarkers.isOverlayAttribute(name)) {
                Optional<byte[]> value = Xattrs.get(source, name);
                if (value.isPresent()) {
                    Xattrs.set(target, name, value.get());
                }
            }
        }
        PosixFiles.setTimes(target, info.accessed(), info.modified());
    }
}
