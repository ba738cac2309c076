package dev.kiln.worker.fs;

import java.util.List;

/**
 * One part of a root to checksum, as BuildKit's content-checksum selectors describe it.
 *
 * @param path root-relative path
 * @param followSymlink a symlink named by {@code path} is followed (inside the root) and its target checksummed
 * @param wildcard {@code path} may hold Go filepath.Match wildcards; every match counts, with its path
 * @param includePatterns for a directory: only entries matching these count
 * @param excludePatterns for a directory: entries matching these do not count
 */
public record ChecksumSelector(
        String path,
        boolean followSymlink,
        boolean wildcard,
        List<String> includePatterns,
        List<String> excludePatterns) {

    public ChecksumSelector {
        if (path == null) {
            throw new IllegalArgumentException("a checksum selector needs a path");
        }
        includePatterns = includePatterns == null ? List.of() : List.copyOf(includePatterns);
        excludePatterns = excludePatterns == null ? List.of() : List.copyOf(excludePatterns);
    }

    /** A plain path: the final symlink followed (as COPY does), wildcards honoured if present. */
    public static ChecksumSelector of(String path) {
        return new ChecksumSelector(path, true, Wildcards.present(path), List.of(), List.of());
    }

    public ChecksumSelector withFollowSymlink(boolean value) {
        return new ChecksumSelector(path, value, wildcard, includePatterns, excludePatterns);
    }

    public ChecksumSelector withIncludePatterns(List<String> value) {
        return new ChecksumSelector(path, followSymlink, wildcard, value, excludePatterns);
    }

    public ChecksumSelector withExcludePatterns(List<String> value) {
        return new ChecksumSelector(path, followSymlink, wildcard, includePatterns, value);
    }
}
