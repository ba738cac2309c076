package dev.kiln.worker.fs;

import java.time.Instant;
import java.util.List;

/**
 * How {@link FileActions#copy} behaves; the fields of BuildKit's FileActionCopy.
 *
 * @param owner owner of everything copied; null keeps the source's uid/gid
 * @param mode permission bits (with setuid/setgid/sticky) for everything copied; null keeps the source's
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
    boolean alwaysReplaceExistingDestPaths) {

  public CopyOptions {
    includePatterns = includePatterns == null ? List.of() : List.copyOf(includePatterns);
    excludePatterns = excludePatterns == null ? List.of() : List.copyOf(excludePatterns);
    if (mode != null && (mode < 0 || mode > 07777)) {
      throw new IllegalArgumentException("copy mode must be within 0..07777, got 0" + Integer.toOctalString(mode));
    }
  }

  /** Everything off: a plain `cp -a` of one path, keeping owner, mode and timestamps. */
  public static CopyOptions defaults() {
    return new CopyOptions(null, null, false, false, false, false, false, false, null, List.of(), List.of(), false);
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
    return new CopyOptions(value, mode, followSymlink, dirCopyContents, attemptUnpack, createDestPath, allowWildcard,
        allowEmptyWildcard, timestamp, includePatterns, excludePatterns, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withMode(Integer value) {
    return new CopyOptions(owner, value, followSymlink, dirCopyContents, attemptUnpack, createDestPath, allowWildcard,
        allowEmptyWildcard, timestamp, includePatterns, excludePatterns, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withFollowSymlink(boolean value) {
    return new CopyOptions(owner, mode, value, dirCopyContents, attemptUnpack, createDestPath, allowWildcard,
        allowEmptyWildcard, timestamp, includePatterns, excludePatterns, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withDirCopyContents(boolean value) {
    return new CopyOptions(owner, mode, followSymlink, value, attemptUnpack, createDestPath, allowWildcard,
        allowEmptyWildcard, timestamp, includePatterns, excludePatterns, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withAttemptUnpack(boolean value) {
    return new CopyOptions(owner, mode, followSymlink, dirCopyContents, value, createDestPath, allowWildcard,
        allowEmptyWildcard, timestamp, includePatterns, excludePatterns, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withCreateDestPath(boolean value) {
    return new CopyOptions(owner, mode, followSymlink, dirCopyContents, attemptUnpack, value, allowWildcard,
        allowEmptyWildcard, timestamp, includePatterns, excludePatterns, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withAllowWildcard(boolean value) {
    return new CopyOptions(owner, mode, followSymlink, dirCopyContents, attemptUnpack, createDestPath, value,
        allowEmptyWildcard, timestamp, includePatterns, excludePatterns, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withAllowEmptyWildcard(boolean value) {
    return new CopyOptions(owner, mode, followSymlink, dirCopyContents, attemptUnpack, createDestPath, allowWildcard,
        value, timestamp, includePatterns, excludePatterns, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withTimestamp(Instant value) {
    return new CopyOptions(owner, mode, followSymlink, dirCopyContents, attemptUnpack, createDestPath, allowWildcard,
        allowEmptyWildcard, value, includePatterns, excludePatterns, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withIncludePatterns(List<String> value) {
    return new CopyOptions(owner, mode, followSymlink, dirCopyContents, attemptUnpack, createDestPath, allowWildcard,
        allowEmptyWildcard, timestamp, value, excludePatterns, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withExcludePatterns(List<String> value) {
    return new CopyOptions(owner, mode, followSymlink, dirCopyContents, attemptUnpack, createDestPath, allowWildcard,
        allowEmptyWildcard, timestamp, includePatterns, value, alwaysReplaceExistingDestPaths);
  }

  public CopyOptions withAlwaysReplaceExistingDestPaths(boolean value) {
    return new CopyOptions(owner, mode, followSymlink, dirCopyContents, attemptUnpack, createDestPath, allowWildcard,
        allowEmptyWildcard, timestamp, includePatterns, excludePatterns, value);
  }
}
