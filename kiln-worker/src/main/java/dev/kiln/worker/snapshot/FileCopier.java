package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.Xattrs;
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
    void copyTree(Path source, FileInfo info, Path target) throws IOException {
        if (!info.isDirectory()) {
            copyEntry(source, info, target);
            return;
        }
        Files.createDirectory(target);
        for (String name : Trees.names(source)) {
            Path child = source.resolve(name);
            copyTree(child, FileInfo.of(child), target.resolve(name));
        }
        applyMetadata(source, info, target);
    }

    /** Copies one non-directory entry. */
    void copyEntry(Path source, FileInfo info, Path target) throws IOException {
        switch (info.type()) {
            case PosixFiles.S_IFREG -> {
                if (linkFiles) {
                    Files.createLink(target, source);
                    return;
                }
                InodeKey key = new InodeKey(info.dev(), info.inode());
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
            case PosixFiles.S_IFLNK -> Files.createSymbolicLink(target, Files.readSymbolicLink(source));
            case PosixFiles.S_IFCHR, PosixFiles.S_IFBLK, PosixFiles.S_IFIFO, PosixFiles.S_IFSOCK ->
                PosixFiles.mknod(target, info.type() | info.permissions(), info.rdev());
            case PosixFiles.S_IFDIR -> throw new IllegalArgumentException("copyEntry of a directory: " + source);
            default ->
                throw new IOException("unknown file type " + Integer.toOctalString(info.type()) + " at " + source);
        }
        applyMetadata(source, info, target);
    }

    /**
     * Makes {@code target}'s owner, mode, extended attributes and times those of {@code source}. The order matters:
     * chown clears setuid bits and file capabilities, so it comes first; times come last.
     */
    static void applyMetadata(Path source, FileInfo info, Path target) throws IOException {
        PosixFiles.lchown(target, info.uid(), info.gid());
        if (!info.isSymlink()) {
            PosixFiles.chmod(target, info.permissions());
        }
        for (String name : Xattrs.list(source)) {
            if (!Overlay.isOverlayAttribute(name)) {
                Optional<byte[]> value = Xattrs.get(source, name);
                if (value.isPresent()) {
                    Xattrs.set(target, name, value.get());
                }
            }
        }
        PosixFiles.setTimes(target, info.accessed(), info.modified());
    }
}
