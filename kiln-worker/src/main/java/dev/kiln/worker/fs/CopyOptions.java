package dev.kiln.worker.fs;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * How {@link FileActions#copy} behaves; the fields of BuildKit's FileActionCopy.
 *
 * @param owner owner of everything copied; null keeps the source's uid/gid
 * @param mode permission bits (with setuid/setgid/sticky) for everything copied; null keeps the source's (or
 *     applies {@code symbolicMode})
 * @param followSymlink a symlink named as the source is followed (inside the source root); links inside copied
 *     trees are never followed
 * @param dirCopyContents a directory source copies its contents into dest rather than itself
 * @param attemptUnpack a tar archive source (plain, gzip, bzip2, xz or zstd) is extracted into dest, as ADD does
 * @param createDestPath missing parent directories of dest are created rather than an error
 * @param allowWildcard the source's path elements may hold Go filepath.Match wildcards
 * @param allowEmptyWildcard a wildcard source that matches nothing copies nothing rather than failing
 * @param timestamp mtime/atime of everything copied; null keeps the source's
 * @param includePatterns only paths (relative to a directory source) matching one of these are copied
 * @param excludePatterns paths (relative to a directory source) matching these are left out
 * @param alwaysReplaceExistingDestPaths an existing dest path of another type (e.g. a symlink where a directory
 *     arrives) is replaced instead of being an error; directories are still merged
 * @param symbolicMode a chmod-style change applied to each copied file's and directory's own mode; null for none.
 *     At most one of {@code mode} and {@code symbolicMode} is set; directories the copy creates as parents of dest
 *     get 0755 with a symbolic mode, as in BuildKit
 */
public record CopyOptions(
        OwnerRef owner,
        Integer mode,
        boolean followSymlink,
        boolean dirCopyContents,
        boolean attemptUnpack,
        boolean createDestPath,
        boolean allowWildcard,
        boolean allowEmptyWildcard,
        Instant timestamp,
        List<String> includePatterns,
        List<String> excludePatterns,
        boolean alwaysReplaceExistingDestPaths,
        SymbolicMode symbolicMode) {

    public CopyOptions {
        includePatterns = includePatterns == null ? List.of() : List.copyOf(includePatterns);
        excludePatterns = excludePatterns == null ? List.of() : List.copyOf(excludePatterns);
        if (mode != null && (mode < 0 || mode > 07777)) {
            throw new IllegalArgumentException(
                    "copy mode must be within 0..07777, got 0" + Integer.toOctalString(mode));
        }
        if (mode != null && symbolicMode != null) {
            throw new IllegalArgumentException("copy mode is either absolute (0" + Integer.toOctalString(mode)
                    + ") or symbolic (" + symbolicMode + "), not both");
        }
    }

    /** The permission bits a copied entry gets, given its source's permission bits. */
    public int permissionsFor(int sourcePermissions, boolean isDirectory) {
        if (symbolicMode != null) {
            return symbolicMode.apply(sourcePermissions, isDirectory);
        }
        return mode != null ? mode : sourcePermissions & 07777;
    }

    /** Everything off: a plain `cp -a` of one path, keeping owner, mode and timestamps. */
    public static CopyOptions defaults() {
        return new CopyOptions(
                null, null, false, false, false, false, false, false, null, List.of(), List.of(), false, null);
    }

    /** The flags BuildKit's Dockerfile frontend sets for a COPY of local files. */
    public static CopyOptions dockerfileCopy() {
        return defaults()
                .withFollowSymlink(true)
                .withDirCopyContents(true)
                .withCreateDestPath(true)
                .withAllowWildcard(true)
                .withAllowEmptyWildcard(true);
    }

    public CopyOptions withOwner(OwnerRef value) {
        return with(draft -> draft.owner = value);
    }

    /** An absolute mode, replacing any symbolic one. */
    public CopyOptions withMode(Integer value) {
        return with(draft -> {
            draft.mode = value;
            draft.symbolicMode = null;
        });
    }

    /** A symbolic mode, replacing any absolute one. */
    public CopyOptions withSymbolicMode(SymbolicMode value) {
        return with(draft -> {
            draft.mode = null;
            draft.symbolicMode = value;
        });
    }

    public CopyOptions withFollowSymlink(boolean value) {
        return with(draft -> draft.followSymlink = value);
    }

    public CopyOptions withDirCopyContents(boolean value) {
        return with(draft -> draft.dirCopyContents = value);
    }

    public CopyOptions withAttemptUnpack(boolean value) {
        return with(draft -> draft.attemptUnpack = value);
    }

    public CopyOptions withCreateDestPath(boolean value) {
        return with(draft -> draft.createDestPath = value);
    }

    public CopyOptions withAllowWildcard(boolean value) {
        return with(draft -> draft.allowWildcard = value);
    }

    public CopyOptions withAllowEmptyWildcard(boolean value) {
        return with(draft -> draft.allowEmptyWildcard = value);
    }

    public CopyOptions withTimestamp(Instant value) {
        return with(draft -> draft.timestamp = value);
    }

    public CopyOptions withIncludePatterns(List<String> value) {
        return with(draft -> draft.includePatterns = value);
    }

    public CopyOptions withExcludePatterns(List<String> value) {
        return with(draft -> draft.excludePatterns = value);
    }

    public CopyOptions withAlwaysReplaceExistingDestPaths(boolean value) {
        return with(draft -> draft.alwaysReplaceExistingDestPaths = value);
    }

    /**
     * These options with a change: the withers name only what they change, the whole list stands in Draft alone, and
     * the copy goes through the canonical constructor, so its checks of the mode run on the copy too.
     */
    private CopyOptions with(Consumer<Draft> change) {
        Draft draft = new Draft();
        change.accept(draft);
        return draft.options();
    }

    /** The options' values while some of them change. */
    private final class Draft {
        private OwnerRef owner = CopyOptions.this.owner;
        private Integer mode = CopyOptions.this.mode;
        private boolean followSymlink = CopyOptions.this.followSymlink;
        private boolean dirCopyContents = CopyOptions.this.dirCopyContents;
        private boolean attemptUnpack = CopyOptions.this.attemptUnpack;
        private boolean createDestPath = CopyOptions.this.createDestPath;
        private boolean allowWildcard = CopyOptions.this.allowWildcard;
        private boolean allowEmptyWildcard = CopyOptions.this.allowEmptyWildcard;
        private Instant timestamp = CopyOptions.this.timestamp;
        private List<String> includePatterns = CopyOptions.this.includePatterns;
        private List<String> excludePatterns = CopyOptions.this.excludePatterns;
        private boolean alwaysReplaceExistingDestPaths = CopyOptions.this.alwaysReplaceExistingDestPaths;
        private SymbolicMode symbolicMode = CopyOptions.this.symbolicMode;

        CopyOptions options() {
            return new CopyOptions(
                    owner,
                    mode,
                    followSymlink,
                    dirCopyContents,
                    attemptUnpack,
                    createDestPath,
                    allowWildcard,
                    allowEmptyWildcard,
                    timestamp,
                    includePatterns,
                    excludePatterns,
                    alwaysReplaceExistingDestPaths,
                    symbolicMode);
        }
    }
}
