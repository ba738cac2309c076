package dev.kiln.worker.fs;

import dev.kiln.core.GoPath;
import dev.kiln.core.PathPatterns;
import dev.kiln.core.Trees;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * BuildKit's FileOp actions (mkdir, mkfile, rm, symlink, copy) on one root directory, typically a mounted
 * snapshot. Every path is resolved through {@link ScopedRoot}, so nothing outside the root (or outside the source
 * root of a copy) is read or written. Failures are {@link FsException}s naming the action and the root-relative
 * path.
 */
public final class FileActions {

    private final ScopedRoot scope;
    private final UserLookup users;

    /** Actions on {@code root}; owner names are resolved with {@code users}. */
    public FileActions(Path root, UserLookup users) {
        this.scope = new ScopedRoot(root);
        this.users = users;
    }

    public Path root() {
        return scope.root();
    }

    /**
     * Creates a directory with {@code mode} (permission bits). An existing directory is left as it is; an existing
     * non-directory is an error. Without {@code makeParents} the parent must exist.
     *
     * @param owner null for root (the process's own ids)
     * @param timestamp mtime and atime of created directories; null for now
     */
    public void mkdir(String path, int mode, boolean makeParents, OwnerRef owner, Instant timestamp)
            throws FsException {
        perform("mkdir", path, null, () -> {
            Owner resolved = resolveOwner("mkdir", path, owner);
            Path target = scope.resolve(path);
            FileStat existing = FileStat.ofIfExists(target).orElse(null);
            if (existing != null) {
                if (existing.isDirectory()) {
                    return;
                }
                throw new FsException("mkdir", display(path), "exists and is not a directory");
            }
            if (makeParents) {
                Directories.mkdirAll(scope, target, mode & 0777, resolved, timestamp);
                return;
            }
            Path parent = target.getParent();
            if (!Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) {
                throw new FsException(
                        "mkdir",
                        display(path),
                        "parent directory " + scope.relative(parent) + " does not exist (makeParents creates it)");
            }
            Files.createDirectory(target);
            finish(target, mode & 0777, resolved, timestamp);
        });
    }

    /**
     * Writes a file with {@code data} and {@code mode}, replacing an existing file (not a directory). The parent
     * directory must exist. The new content appears atomically: it is written aside and renamed into place.
     */
    public void mkfile(String path, int mode, byte[] data, OwnerRef owner, Instant timestamp) throws FsException {
        perform("mkfile", path, null, () -> {
            Owner resolved = resolveOwner("mkfile", path, owner);
            Path target = scope.resolve(path);
            if (target.equals(scope.root()) || Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FsException("mkfile", display(path), "is a directory");
            }
            Path parent = target.getParent();
            if (!Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) {
                throw new FsException(
                        "mkfile", display(path), "parent directory " + scope.relative(parent) + " does not exist");
            }
            Path temp = Files.createTempFile(parent, ".kiln-mkfile-", ".tmp");
            try {
                Files.write(temp, data);
                finish(temp, mode & 0777, resolved, timestamp);
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
        });
    }

    /**
     * Removes a path (recursively for a directory; a symlink itself, never its target). A missing path is an error
     * unless {@code allowNotFound}. With {@code allowWildcard} every match is removed, and no match removes nothing.
     */
    public void rm(String path, boolean allowNotFound, boolean allowWildcard) throws FsException {
        perform("rm", path, null, () -> {
            List<String> targets = allowWildcard ? Wildcards.expand(scope, path, false) : List.of(path);
            for (String each : targets) {
                List<String> elements = GoPath.elements(GoPath.absolute(each));
                if (elements.isEmpty()) {
                    throw new FsException("rm", "/", "cannot remove the root directory");
                }
                Path target = scope.resolve(GoPath.dir(GoPath.absolute(each))).resolve(elements.getLast());
                if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    if (allowNotFound) {
                        continue;
                    }
                    throw new FsException("rm", display(each), "no such file or directory");
                }
                Trees.deleteRecursively(target);
            }
        });
    }

    /** Creates a symlink at {@code newpath} whose target is {@code oldpath}, verbatim. */
    public void symlink(String oldpath, String newpath, OwnerRef owner, Instant timestamp) throws FsException {
        perform("symlink", newpath, null, () -> {
            if (oldpath == null || oldpath.isEmpty()) {
                throw new FsException("symlink", display(newpath), "the link target must not be empty");
            }
            Owner resolved = resolveOwner("symlink", newpath, owner);
            Path link = scope.resolveParent(newpath);
            if (link.equals(scope.root())) {
                throw new FsException("symlink", "/", "the root directory cannot become a symlink");
            }
            Files.createSymbolicLink(link, Path.of(oldpath));
            if (resolved != null) {
                Metadata.chown(link, resolved);
            }
            if (timestamp != null) {
                Metadata.setTimes(link, timestamp);
            }
        });
    }

    /**
     * Copies {@code src} from {@code sourceRoot} to {@code dest} in this root, with BuildKit's rules:
     *
     * <ul>
     *   <li>dest ending in "/" or naming an existing directory receives the source inside it (under the source's
     *       base name); otherwise dest is the path the source becomes;
     *   <li>a directory source with {@code dirCopyContents} copies its contents into dest;
     *   <li>with {@code allowWildcard}, several matches copied as themselves need dest to be a directory;
     *   <li>with {@code attemptUnpack}, each tar archive is extracted into dest (made a directory) instead.
     * </ul>
     */
    public void copy(Path sourceRoot, String src, String dest, CopyOptions options) throws FsException {
        copy(sourceRoot, src, dest, options, null);
    }

    /**
     * {@link #copy(Path, String, String, CopyOptions)}, giving files whose metadata the copy keeps hard links to the
     * source's immutable layer files when {@code shared} is not null (see {@link SharedFiles}).
     */
    public void copy(Path sourceRoot, String src, String dest, CopyOptions options, SharedFiles shared)
            throws FsException {
        ScopedRoot source = new ScopedRoot(sourceRoot);
        perform("copy", src, source, () -> {
            Owner owner = resolveOwner("copy", dest, options.owner());
            String srcPath = cleanPath(src);
            String destPath = cleanPath(dest);
            if (!options.createDestPath()) {
                Path target = scope.resolve(GoPath.absolute(dest));
                Path parent = target.equals(scope.root()) ? target : target.getParent();
                if (!Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
                    throw new FsException(
                            "copy",
                            display(dest),
                            "destination directory " + scope.relative(parent)
                                    + " does not exist (createDestPath creates it)");
                }
            }
            List<String> matches;
            if (options.allowWildcard()) {
                matches = Wildcards.expand(source, srcPath, options.followSymlink());
                if (matches.isEmpty()) {
                    if (options.allowEmptyWildcard()) {
                        return;
                    }
                    throw new FsException("copy", display(src), "no source files matched");
                }
            } else {
                matches = List.of(srcPath);
            }
            FilteredTree filter = new FilteredTree(
                    patterns("copy", src, options.includePatterns()), patterns("copy", src, options.excludePatterns()));
            // An archive that is unpacked goes into dest as a directory whatever dest's spelling (BuildKit makes it
            // with
            // MkdirAll), so ADD *.tar /dest unpacks each one there; only matches copied as themselves could land on one
            // file path, and only they count for the rule that several sources need a directory.
            Set<String> archives = new HashSet<>();
            List<String> copied = new ArrayList<>();
            for (String match : matches) {
                if (options.attemptUnpack() && ArchiveUnpack.isArchive(source.resolve(match), display(match))) {
                    archives.add(match);
                } else {
                    copied.add(match);
                }
            }
            // checked at the first copy, so that an archive unpacked before it has made dest a directory
            boolean destChecked = copied.size() < 2;
            TreeCopy copier = new TreeCopy(source, scope, owner, options, filter, shared);
            for (String match : matches) {
                if (archives.contains(match)) {
                    unpack(source, match, destPath, owner, options.timestamp());
                    continue;
                }
                if (!destChecked) {
                    requireDirectoryDest(source, src, destPath, copied, options);
                    destChecked = true;
                }
                copyOne(source, match, destPath, options, owner, copier);
            }
        });
    }

    /** One source path onto dest: BuildKit's fsutil Copy for a single, wildcard-free source. */
    private void copyOne(
            ScopedRoot source, String src, String destPath, CopyOptions options, Owner owner, TreeCopy copier)
            throws IOException {
        int directoryMode = options.mode() != null ? options.mode() : 0755;
        List<Path> created = new ArrayList<>();
        String lastElement = GoPath.base(destPath);
        boolean namesDirectory = destPath.endsWith("/") || lastElement.equals(".");
        String ensure = namesDirectory ? destPath : GoPath.dir(destPath);
        created.addAll(Directories.mkdirAll(scope, scope.resolve(ensure), directoryMode, owner, options.timestamp()));

        Path target = scope.resolve(GoPath.clean(destPath));
        Path sourcePath = source.resolveExisting("copy", src, options.followSymlink());
        FileStat sourceStat = FileStat.ofIfExists(sourcePath).orElse(null);
        if (sourceStat == null) {
            throw new FsException("copy", display(src), "no such file or directory");
        }
        FileStat destStat = FileStat.ofIfExists(target).orElse(null);
        boolean sourceIsDir = sourceStat.isDirectory();
        if ((!options.dirCopyContents() && sourceIsDir && destStat != null)
                || (!sourceIsDir && destStat != null && destStat.isDirectory())) {
            String base = GoPath.base(src);
            if (!base.equals(".") && !base.equals("/")) {
                target = target.resolve(base);
            }
        }
        Path parent = options.dirCopyContents() && sourceIsDir && destStat == null ? target : target.getParent();
        if (parent != null && parent.startsWith(scope.root())) {
            created.addAll(Directories.mkdirAll(scope, parent, directoryMode, owner, options.timestamp()));
        }
        copier.copy(sourcePath, target);
        if (options.timestamp() != null) {
            for (Path dir : created.reversed()) {
                Metadata.setTimes(dir, options.timestamp());
            }
        }
    }

    /** Extracts the archive {@code src} into the directory destPath, made first if missing. */
    private void unpack(ScopedRoot source, String src, String destPath, Owner owner, Instant timestamp)
            throws IOException {
        Path dir = scope.resolve(destPath);
        Directories.mkdirAll(scope, dir, 0755, owner, timestamp);
        ArchiveUnpack.extract(source.resolve(src), display(src), dir, owner);
    }

    private void requireDirectoryDest(
            ScopedRoot source, String src, String destPath, List<String> matches, CopyOptions options)
            throws IOException {
        if (destPath.endsWith("/") || destPath.endsWith("/.")) {
            return;
        }
        if (Files.isDirectory(scope.resolve(destPath), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (options.dirCopyContents()) {
            boolean allDirectories = true;
            for (String match : matches) {
                Path p = options.followSymlink() ? source.resolve(match) : source.resolveParent(match);
                allDirectories &= Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            }
            if (allDirectories) {
                return;
            }
        }
        throw new FsException(
                "copy",
                display(src),
                matches.size() + " sources match, so the destination " + display(destPath)
                        + " must be a directory (end it with /)");
    }

    /** Permission bits, owner and times of something this action created. */
    private static void finish(Path path, int permissions, Owner owner, Instant timestamp) throws IOException {
        Metadata.chmod(path, permissions);
        if (owner != null) {
            Metadata.chown(path, owner);
        }
        if (timestamp != null) {
            Metadata.setTimes(path, timestamp);
        }
    }

    private Owner resolveOwner(String action, String path, OwnerRef owner) throws FsException {
        return switch (owner) {
            case null -> null;
            case Owner ids -> ids;
            case OwnerName name -> {
                try {
                    Owner resolved = users.resolve(name);
                    if (resolved == null) {
                        throw new IOException("unknown user");
                    }
                    yield resolved;
                } catch (IOException e) {
                    throw new FsException(
                            action,
                            display(path),
                            "cannot resolve owner " + name.user() + (name.group() == null ? "" : ":" + name.group())
                                    + ": " + e.getMessage(),
                            e);
                }
            }
        };
    }

    private static PathPatterns patterns(String action, String path, List<String> patterns) throws FsException {
        try {
            return PathPatterns.compile(patterns);
        } catch (IllegalArgumentException e) {
            throw new FsException(action, display(path), e.getMessage(), e);
        }
    }

    /**
     * BuildKit's cleanPath: absolute and clean, but a trailing "/" or "/." survives, since it decides whether dest
     * names a directory and whether a source copies its contents.
     */
    static String cleanPath(String path) {
        String cleaned = GoPath.absolute(path);
        if (path.endsWith("/.")) {
            return cleaned.equals("/") ? "/." : cleaned + "/.";
        }
        if (path.endsWith("/") && !cleaned.equals("/")) {
            return cleaned + "/";
        }
        return cleaned;
    }

    private static String display(String path) {
        return GoPath.absolute(path);
    }

    @FunctionalInterface
    private interface Body {
        void run() throws IOException;
    }

    /** Runs an action body, turning every failure into an FsException with root-relative paths only. */
    private void perform(String action, String path, ScopedRoot other, Body body) throws FsException {
        try {
            body.run();
        } catch (FsException e) {
            throw e.during(action);
        } catch (FileSystemException e) {
            String where = display(path);
            if (e.getFile() != null) {
                Path file = Path.of(e.getFile());
                where = scope.relativeIfInside(file)
                        .or(() -> other == null ? java.util.Optional.empty() : other.relativeIfInside(file))
                        .orElse(where);
            }
            throw new FsException(action, where, reason(e), e);
        } catch (IOException e) {
            throw new FsException(action, display(path), String.valueOf(e.getMessage()), e);
        } catch (IllegalArgumentException e) {
            // Malformed wildcard or pattern: bad input, reported like any other failure of the action.
            throw new FsException(action, display(path), e.getMessage(), e);
        }
    }

    private static String reason(FileSystemException e) {
        return switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case FileAlreadyExistsException x -> "file exists";
            case DirectoryNotEmptyException x -> "directory not empty";
            case NotDirectoryException x -> "not a directory";
            case AccessDeniedException x -> "permission denied";
            default -> e.getReason() != null ? e.getReason().toLowerCase(java.util.Locale.ROOT) : "failed";
        };
    }
}
