package dev.kiln.worker.fs;

import java.util.List;

/**
 * What {@link LocalSync} mirrors.
 *
 * @param includePatterns only paths matching one of these are mirrored (empty: everything)
 * @param excludePatterns paths matching these are left out (.dockerignore)
 * @param followPaths paths whose symlinks are resolved inside the context into further include patterns
 * @param owner owner given to every mirrored entry; null keeps the source's ids. BuildKit's client reports
 *     context files as owned by 0:0, so {@link Owner#ROOT} matches Docker builds.
 */
public record SyncOptions(
        List<String> includePatterns, List<String> excludePatterns, List<String> followPaths, Owner owner) {

    public SyncOptions {
        includePatterns = includePatterns == null ? List.of() : List.copyOf(includePatterns);
        excludePatterns = excludePatterns == null ? List.of() : List.copyOf(excludePatterns);
        followPaths = followPaths == null ? List.of() : List.copyOf(followPaths);
    }

    /** Everything, owned by root, as a Docker build context arrives. */
    public static SyncOptions buildContext() {
        return new SyncOptions(List.of(), List.of(), List.of(), Owner.ROOT);
    }

    public SyncOptions withIncludePatterns(List<String> value) {
        return new SyncOptions(value, excludePatterns, followPaths, owner);
    }

    public SyncOptions withExcludePatterns(List<String> value) {
        return new SyncOptions(includePatterns, value, followPaths, owner);
    }

    public SyncOptions withFollowPaths(List<String> value) {
        return new SyncOptions(includePatterns, excludePatterns, value, owner);
    }

    public SyncOptions withOwner(Owner value) {
        return new SyncOptions(includePatterns, excludePatterns, followPaths, value);
    }
}
