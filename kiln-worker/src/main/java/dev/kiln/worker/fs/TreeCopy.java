package dev.kiln.worker.fs;

import dev.kiln.core.Trees;
import dev.kiln.core.sys.PosixFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * `cp -a` of one source path onto one target path with BuildKit's copy semantics: directories merge into
 * existing ones, files and symlinks replace what was there, symlinks are copied as links, hard links among the
 * copied files stay linked, and owner, mode and times come from the source unless overridden.
 *
 * <p>The target side is only ever reached through directories this copy verified or created (lstat, never
 * following a link), so a symlink planted in the destination cannot redirect writes.
 */
final class TreeCopy {

    private record InodeKey(long device, long inode) {}

    /** {@code created}: this copy made the target directory, so nothing below it can exist before the copy writes it. */
    private record OpenDirectory(String relative, Path source, Path target, FileStat stat, boolean created) {}

    private final ScopedRoot sourceScope;
    private final ScopedRoot targetScope;
    private final Owner owner;
    private final CopyOptions options;
    private final Instant timestamp;
    private final FilteredTree filter;
    private final boolean alwaysReplace;
    private final Map<InodeKey, Path> firstLinks = new HashMap<>();
    private final SharedFiles shared;
    /**
     * The directory of the new layer that the last link went into, as "a/b": the files of one directory come together,
     * and asking the layer for it once per file stat'ed a 20,000-file COPY's directories 20,500 times. Only this copy
     * writes the target meanwhile, and {@link #prepareTarget} drops it when something replaces it or a directory above.
     */
    private String linkableDir;

    /**
     * Modes, times and replacement come from {@code options}; {@code owner} is its owner, resolved. With {@code shared}
     * (or null), files whose metadata the copy keeps become hard links to the source's immutable layer files.
     */
    TreeCopy(
            ScopedRoot sourceScope,
            ScopedRoot targetScope,
            Owner owner,
            CopyOptions options,
            FilteredTree filter,
            SharedFiles shared) {
        this.sourceScope = sourceScope;
        this.targetScope = targetScope;
        this.owner = owner;
        this.options = options;
        this.timestamp = options.timestamp();
        this.filter = filter;
        this.alwaysReplace = options.alwaysReplaceExistingDestPaths();
        this.shared = shared;
    }

    /** Copies {@code source} (not followed if a symlink) to {@code target}. */
    void copy(Path source, Path target) throws IOException {
        linkableDir = null;
        FileStat stat = FileStat.of(source);
        // the scopes' relative paths of the two roots, once: an entry's are these joined with its own relative path,
        // which costs far less than deriving them from its host paths (some 10% of a 20,000-file COPY's CPU)
        String sourceBase = relative(sourceScope, source);
        String targetBase = relative(targetScope, target);
        prepareTarget(stat, target, targetBase, false);
        if (!stat.isDirectory()) {
            if (copyNonDirectory(source, stat, target, sourceBase, targetBase)) {
                applyMetadata(source, stat, target);
            }
            return;
        }
        boolean created = ensureDirectory(target);
        Deque<OpenDirectory> open = new ArrayDeque<>();
        List<FilteredTree.Entry> entries = filter.scan(source);
        for (FilteredTree.Entry entry : entries) {
            closeFinished(open, entry.relative());
            Path childTarget = target.resolve(entry.relative());
            String childTargetRelative = join(targetBase, entry.relative());
            boolean parentCreated = open.isEmpty() ? created : open.peek().created();
            prepareTarget(entry.stat(), childTarget, childTargetRelative, parentCreated);
            if (entry.stat().isDirectory()) {
                boolean childCreated = true;
                if (parentCreated) {
                    Files.createDirectory(childTarget);
                } else {
                    childCreated = ensureDirectory(childTarget);
                }
                open.push(new OpenDirectory(entry.relative(), entry.path(), childTarget, entry.stat(), childCreated));
            } else {
                Path from = entry.path();
                if (copyNonDirectory(
                        from, entry.stat(), childTarget, join(sourceBase, entry.relative()), childTargetRelative)) {
                    applyMetadata(from, entry.stat(), childTarget);
                }
            }
        }
        closeFinished(open, null);
        if (created) {
            applyMetadata(source, stat, target);
        } else if (timestamp != null) {
            Metadata.setTimes(target, timestamp);
        } else {
            // An existing directory keeps its owner and mode, but copying into it must not leave it looking modified.
            Metadata.setTimes(target, stat.accessed(), stat.modified());
        }
    }

    /** Directory metadata goes on after the contents, since adding entries changes a directory's mtime. */
    private void closeFinished(Deque<OpenDirectory> open, String next) throws IOException {
        while (!open.isEmpty() && (next == null || !next.startsWith(open.peek().relative() + "/"))) {
            OpenDirectory done = open.pop();
            applyMetadata(done.source(), done.stat(), done.target());
        }
    }

    /**
     * {@code relativeTarget}: the target under its scope's root, as "a/b". With {@code parentCreated} this copy made
     * the target's directory and has written nothing at the target yet, so there is nothing to replace and no stat to
     * make: in a COPY into a new directory that is one failing lstat less per file.
     */
    private void prepareTarget(FileStat source, Path target, String relativeTarget, boolean parentCreated)
            throws IOException {
        if (shared != null) {
            // a link recorded for this path (or, when a file replaces a directory, below it) would land over this entry
            shared.links().forget(relativeTarget, !source.isDirectory());
            if (linkableDir != null
                    && (linkableDir.equals(relativeTarget) || linkableDir.startsWith(relativeTarget + "/"))) {
                linkableDir = null;
            }
        }
        FileStat existing = parentCreated ? null : FileStat.ofIfExists(target).orElse(null);
        if (existing == null) {
            return;
        }
        if (existing.device() == source.device() && existing.inode() == source.inode()) {
            throw new FsException("copy", targetScope.relative(target), "source and destination are the same file");
        }
        if (alwaysReplace && !(source.isDirectory() && existing.isDirectory())) {
            Trees.deleteRecursively(target);
            return;
        }
        if (source.isDirectory()) {
            if (!existing.isDirectory()) {
                throw new FsException(
                        "copy",
                        targetScope.relative(target),
                        "cannot copy a directory onto an existing " + describe(existing.type()));
            }
            return;
        }
        if (existing.isDirectory()) {
            throw new FsException("copy", targetScope.relative(target), "cannot replace a directory with a file");
        }
        Files.delete(target);
    }

    /** Returns whether the directory had to be created. */
    private static boolean ensureDirectory(Path target) throws IOException {
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Files.createDirectory(target);
        return true;
    }

    /**
     * Returns whether an entry was written now (metadata still to apply), not left to a link at commit. The relative
     * paths name source and target under their scopes' roots, as "a/b".
     */
    private boolean copyNonDirectory(
            Path source, FileStat stat, Path target, String relativeSource, String relativeTarget) throws IOException {
        switch (stat.type()) {
            case REGULAR -> {
                LayerFile layerFile = shareable(relativeSource, stat);
                if (layerFile != null) {
                    int slash = relativeTarget.lastIndexOf('/');
                    String directory = slash < 0 ? "" : relativeTarget.substring(0, slash);
                    if (directory.equals(linkableDir) || shared.links().canLinkInto(directory)) {
                        linkableDir = directory;
                        shared.links().add(relativeTarget, layerFile);
                        return false;
                    }
                    // Its directory is not in the new layer yet: this copy puts it there (overlay copies it up), and
                    // the
                    // link still replaces the copy at commit, so every path of one source inode keeps sharing it.
                    Files.copy(source, target, LinkOption.NOFOLLOW_LINKS);
                    shared.links().add(relativeTarget, layerFile);
                    return true;
                }
                if (stat.isHardLinked()) {
                    InodeKey key = new InodeKey(stat.device(), stat.inode());
                    Path first = firstLinks.putIfAbsent(key, target);
                    if (first != null) {
                        Files.createLink(target, first);
                        return true;
                    }
                }
                Files.copy(source, target, LinkOption.NOFOLLOW_LINKS);
            }
            case SYMLINK -> Files.createSymbolicLink(target, Files.readSymbolicLink(source));
            case DIRECTORY -> throw new IllegalStateException("directories are handled by the caller");
            case CHAR_DEVICE, BLOCK_DEVICE, FIFO, SOCKET ->
                PosixFiles.mknod(target, typeBits(stat.type()), stat.rdev());
        }
        return true;
    }

    /**
     * The immutable layer file to link instead of copying {@code source}, when there is one and the copy would give
     * the target exactly the source's metadata: its owner, its mode, its times (and, one inode, its xattrs).
     */
    private LayerFile shareable(String relativeSource, FileStat stat) throws IOException {
        if (shared == null
                || timestamp != null
                || (owner != null && (owner.uid() != stat.uid() || owner.gid() != stat.gid()))
                || options.permissionsFor(stat.permissions(), false) != (stat.permissions() & 07777)) {
            return null;
        }
        return shared.layerFile(relativeSource, stat).orElse(null);
    }

    /** A path under a scope's root as "a/b", without the leading slash. */
    private static String relative(ScopedRoot scope, Path path) {
        String relative = scope.relative(path);
        return relative.startsWith("/") ? relative.substring(1) : relative;
    }

    /** {@code child} (relative, "c/d") below {@code base} ("a/b", or "" for the root). */
    private static String join(String base, String child) {
        return base.isEmpty() ? child : base + "/" + child;
    }

    private void applyMetadata(Path source, FileStat stat, Path target) throws IOException {
        Metadata.chown(target, owner != null ? owner : new Owner(stat.uid(), stat.gid()));
        if (!stat.isSymlink()) {
            Metadata.chmod(target, options.permissionsFor(stat.permissions(), stat.isDirectory()));
        }
        if (timestamp != null) {
            Metadata.setTimes(target, timestamp);
        } else {
            Metadata.setTimes(target, stat.accessed(), stat.modified());
        }
        Metadata.copyXattrs(source, target);
    }

    static int typeBits(FileType type) {
        return switch (type) {
            case CHAR_DEVICE -> PosixFiles.S_IFCHR;
            case BLOCK_DEVICE -> PosixFiles.S_IFBLK;
            case FIFO -> PosixFiles.S_IFIFO;
            case SOCKET -> PosixFiles.S_IFSOCK;
            default -> throw new IllegalArgumentException(type + " is not made with mknod");
        };
    }

    static String describe(FileType type) {
        return switch (type) {
            case REGULAR -> "file";
            case DIRECTORY -> "directory";
            case SYMLINK -> "symlink";
            case CHAR_DEVICE -> "character device";
            case BLOCK_DEVICE -> "block device";
            case FIFO -> "fifo";
            case SOCKET -> "socket";
        };
    }
}
