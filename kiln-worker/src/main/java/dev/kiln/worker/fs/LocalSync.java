package dev.kiln.worker.fs;

import dev.kiln.core.FollowPaths;
import dev.kiln.core.PathPatterns;
import dev.kiln.core.Trees;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes a target directory mirror a local build context, incrementally: entries are compared by type, size,
 * mtime, mode and owner (lstat only), so unchanged files are neither read nor written, changed ones are copied
 * again and entries gone from the source are removed. Symlinks are mirrored as symlinks and never followed, so
 * nothing outside the context is read. Device nodes, FIFOs and sockets in the context are not mirrored.
 *
 * <p>Only this class writes to the target; it is the local source's private copy of the context.
 */
public final class LocalSync {

    private record InodeKey(long device, long inode) {}

    private final Path source;
    private final Path target;
    private final Owner owner;
    private final FilteredTree filter;
    private final Map<InodeKey, Path> firstLinks = new HashMap<>();

    private int filesCopied;
    private long bytesCopied;
    private int symlinksWritten;
    private int directoriesCreated;
    private int removed;
    private int metadataUpdated;
    private int unchanged;

    private LocalSync(Path source, Path target, Owner owner, FilteredTree filter) {
        this.source = source;
        this.target = target;
        this.owner = owner;
        this.filter = filter;
    }

    /** Mirrors {@code source} into {@code target} (created if missing) and reports what changed. */
    public static SyncResult sync(Path source, Path target, SyncOptions options) throws FsException {
        return sync(source, target, options, null);
    }

    /**
     * As {@link #sync(Path, Path, SyncOptions)}, taking the source's entries from {@code scanned} (when it is a scan
     * of {@code source} with the same patterns: a checksum of it with the options' include and exclude patterns and
     * no follow paths) instead of walking the source again.
     */
    public static SyncResult sync(Path source, Path target, SyncOptions options, ScannedTree scanned)
            throws FsException {
        Path from = source.toAbsolutePath().normalize();
        Path to = target.toAbsolutePath().normalize();
        try {
            if (!Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS)) {
                throw new FsException("sync", from.toString(), "the context is not a directory");
            }
            List<String> includes = new ArrayList<>(options.includePatterns());
            if (!options.followPaths().isEmpty()) {
                includes.addAll(FollowPaths.resolve(from, options.followPaths()));
            }
            FilteredTree filter = new FilteredTree(
                    compile(includes, "include", from), compile(options.excludePatterns(), "exclude", from));
            Files.createDirectories(to);
            List<FilteredTree.Entry> known =
                    scanned == null || !options.followPaths().isEmpty() ? null : scanned.entriesOf(from);
            return new LocalSync(from, to, options.owner(), filter).run(known);
        } catch (FsException e) {
            throw e.during("sync");
        } catch (FileSystemException e) {
            throw new FsException("sync", display(from, to, e.getFile()), String.valueOf(e.getReason()), e);
        } catch (IOException e) {
            throw new FsException("sync", "/", String.valueOf(e.getMessage()), e);
        } catch (IllegalArgumentException e) {
            throw new FsException("sync", "/", e.getMessage(), e);
        }
    }

    /** {@code known}: the source's entries as a scan with this filter found them, or null to scan now. */
    private SyncResult run(List<FilteredTree.Entry> known) throws IOException {
        List<FilteredTree.Entry> wanted = known != null ? known : filter.scan(source);
        Map<String, FilteredTree.Entry> wantedByPath = new HashMap<>();
        for (FilteredTree.Entry e : wanted) {
            wantedByPath.put(e.relative(), e);
        }
        Map<String, FileStat> present = removeUnwanted(wantedByPath);

        List<FilteredTree.Entry> directories = new ArrayList<>();
        Map<String, Boolean> directoryWasCurrent = new HashMap<>();
        for (FilteredTree.Entry entry : wanted) {
            Path to = target.resolve(entry.relative());
            FileStat existing = present.get(entry.relative());
            switch (entry.stat().type()) {
                case DIRECTORY -> {
                    if (existing == null) {
                        Files.createDirectory(to);
                        directoriesCreated++;
                    } else {
                        directoryWasCurrent.put(entry.relative(), sameMetadata(entry.stat(), existing));
                    }
                    directories.add(entry);
                }
                case REGULAR -> syncFile(entry, to, existing);
                case SYMLINK -> syncSymlink(entry, to, existing);
                default -> {
                    // Special files have no meaning in a build context; they are not mirrored.
                }
            }
        }
        for (FilteredTree.Entry dir : directories.reversed()) {
            Path to = target.resolve(dir.relative());
            if (!sameMetadata(dir.stat(), FileStat.of(to))) {
                apply(dir.stat(), to);
            }
            Boolean wasCurrent = directoryWasCurrent.get(dir.relative());
            if (wasCurrent != null) {
                if (wasCurrent) {
                    unchanged++;
                } else {
                    metadataUpdated++;
                }
            }
        }
        FileStat rootStat = FileStat.of(source);
        if (!sameMetadata(rootStat, FileStat.of(target))) {
            apply(rootStat, target);
        }
        return new SyncResult(
                filesCopied, bytesCopied, symlinksWritten, directoriesCreated, removed, metadataUpdated, unchanged);
    }

    /**
     * Deletes target entries the source does not want (or wants as another type) and returns what is left,
     * by relative path.
     */
    private Map<String, FileStat> removeUnwanted(Map<String, FilteredTree.Entry> wanted) throws IOException {
        Map<String, FileStat> present = new HashMap<>();
        String deletedPrefix = null;
        boolean countingRemoval = false;
        for (FilteredTree.Entry have : new FilteredTree(PathPatterns.none(), PathPatterns.none()).scan(target)) {
            if (deletedPrefix != null && have.relative().startsWith(deletedPrefix)) {
                if (countingRemoval) {
                    removed++;
                }
                continue;
            }
            deletedPrefix = null;
            FilteredTree.Entry want = wanted.get(have.relative());
            if (want != null && want.stat().type() == have.stat().type()) {
                present.put(have.relative(), have.stat());
                continue;
            }
            Trees.deleteRecursively(have.path());
            deletedPrefix = have.relative() + "/";
            countingRemoval = want == null;
            if (countingRemoval) {
                removed++;
            }
        }
        return present;
    }

    private void syncFile(FilteredTree.Entry entry, Path to, FileStat existing) throws IOException {
        FileStat stat = entry.stat();
        InodeKey key = stat.isHardLinked() ? new InodeKey(stat.device(), stat.inode()) : null;
        if (existing != null && sameMetadata(stat, existing) && existing.size() == stat.size()) {
            unchanged++;
            if (key != null) {
                firstLinks.putIfAbsent(key, to);
            }
            return;
        }
        if (key != null) {
            Path first = firstLinks.putIfAbsent(key, to);
            if (first != null) {
                Files.deleteIfExists(to);
                Files.createLink(to, first);
                filesCopied++;
                return;
            }
        }
        if (existing != null && existing.links() > 1) {
            // Writing in place would change the other names of that inode too.
            Files.delete(to);
            existing = null;
        }
        // Overwriting in place keeps the parent directory's entries (and so its mtime) as they were.
        try (FileChannel in = FileChannel.open(entry.path(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                FileChannel out = FileChannel.open(
                        to,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        LinkOption.NOFOLLOW_LINKS)) {
            long size = in.size();
            long done = 0;
            while (done < size) {
                long n = in.transferTo(done, size - done, out);
                if (n <= 0) {
                    break;
                }
                done += n;
            }
            bytesCopied += done;
        }
        apply(stat, to);
        filesCopied++;
    }

    private void syncSymlink(FilteredTree.Entry entry, Path to, FileStat existing) throws IOException {
        Path link = Files.readSymbolicLink(entry.path());
        if (existing != null
                && sameMetadata(entry.stat(), existing)
                && Files.readSymbolicLink(to).equals(link)) {
            unchanged++;
            return;
        }
        Files.deleteIfExists(to);
        Files.createSymbolicLink(to, link);
        apply(entry.stat(), to);
        symlinksWritten++;
    }

    private boolean sameMetadata(FileStat want, FileStat have) {
        Owner expected = expectedOwner(want);
        return want.type() == have.type()
                && have.modified().equals(want.modified())
                && have.uid() == expected.uid()
                && have.gid() == expected.gid()
                && (want.isSymlink() || have.permissions() == want.permissions());
    }

    private Owner expectedOwner(FileStat stat) {
        return owner != null ? owner : new Owner(stat.uid(), stat.gid());
    }

    private void apply(FileStat stat, Path to) throws IOException {
        Metadata.chown(to, expectedOwner(stat));
        if (!stat.isSymlink()) {
            Metadata.chmod(to, stat.permissions());
        }
        Metadata.setTimes(to, stat.accessed(), stat.modified());
    }

    private static PathPatterns compile(List<String> patterns, String kind, Path context) throws FsException {
        try {
            return PathPatterns.compile(patterns);
        } catch (IllegalArgumentException e) {
            throw new FsException("sync", context.toString(), kind + " patterns: " + e.getMessage(), e);
        }
    }

    /** A path in an error, relative to whichever side it is on. */
    private static String display(Path source, Path target, String file) {
        if (file == null) {
            return "/";
        }
        Path p = Path.of(file).toAbsolutePath().normalize();
        for (Path side : List.of(target, source)) {
            if (p.startsWith(side)) {
                String rel = side.relativize(p).toString();
                return "/" + rel;
            }
        }
        return file;
    }
}
