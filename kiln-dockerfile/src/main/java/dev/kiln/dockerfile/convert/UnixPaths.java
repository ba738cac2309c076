package dev.kiln.dockerfile.convert;

import dev.kiln.core.GoPath;

/**
 * BuildKit's path normalisation for Dockerfile instructions; the Go path functions it builds on are kiln-core's
 * {@link GoPath} (paths inside images are always Unix paths).
 */
final class UnixPaths {

    private UnixPaths() {}

    /**
     * BuildKit's system.NormalizePath for Linux: {@code path} against {@code parent}, cleaned; with
     * {@code keepSlash}, a trailing "/" or "/." (meaning "a directory") is kept.
     */
    static String normalize(String parent, String path, boolean keepSlash) {
        String original = path.isEmpty() ? "." : path;
        String joined = GoPath.isAbs(original)
                ? GoPath.clean(original)
                : GoPath.join(parent.isEmpty() ? "/" : parent, original);
        if (!GoPath.isAbs(joined)) {
            joined = "/" + joined;
        }
        if (keepSlash && (original.endsWith("/") || original.endsWith("/.")) && !joined.equals("/")) {
            joined += "/";
        }
        return joined;
    }
}
