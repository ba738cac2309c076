package dev.kiln.api.session;

import java.util.List;

/**
 * Which files of a client directory a FileSync transfer carries, as BuildKit's local source asks for them:
 * include and exclude patterns with Docker's pattern rules ({@code **}, "!" exceptions, a matched directory
 * matches everything under it) and follow paths (paths whose symlinks are followed inside the directory and
 * whose targets are included too). Empty lists mean "no filter".
 */
public record FileFilter(List<String> includePatterns, List<String> excludePatterns, List<String> followPaths) {

    public static final FileFilter NONE = new FileFilter(List.of(), List.of(), List.of());

    public FileFilter {
        includePatterns = includePatterns == null ? List.of() : List.copyOf(includePatterns);
        excludePatterns = excludePatterns == null ? List.of() : List.copyOf(excludePatterns);
        followPaths = followPaths == null ? List.of() : List.copyOf(followPaths);
    }
}
