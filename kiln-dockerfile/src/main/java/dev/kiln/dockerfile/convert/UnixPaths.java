package dev.kiln.dockerfile.convert;

import java.util.ArrayDeque;
import java.util.Deque;

/** Slash-separated paths as Go's path package treats them (paths inside images are always Unix paths). */
final class UnixPaths {

    private UnixPaths() {
    }

    /** Go's path.Clean. */
    static String clean(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        boolean rooted = path.startsWith("/");
        Deque<String> parts = new ArrayDeque<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!parts.isEmpty() && !parts.peekLast().equals("..")) {
                    parts.removeLast();
                } else if (!rooted) {
                    parts.addLast("..");
                }
                continue;
            }
            parts.addLast(part);
        }
        String joined = String.join("/", parts);
        if (rooted) {
            return "/" + joined;
        }
        return joined.isEmpty() ? "." : joined;
    }

    /** Go's path.Join: empty elements are skipped, the result cleaned. */
    static String join(String... elements) {
        StringBuilder out = new StringBuilder();
        for (String element : elements) {
            if (element.isEmpty()) {
                continue;
            }
            if (!out.isEmpty()) {
                out.append('/');
            }
            out.append(element);
        }
        return out.isEmpty() ? "" : clean(out.toString());
    }

    static boolean isAbs(String path) {
        return path.startsWith("/");
    }

    static String base(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        String trimmed = path;
        while (trimmed.length() > 1 && trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        if (trimmed.equals("/")) {
            return "/";
        }
        int slash = trimmed.lastIndexOf('/');
        return slash < 0 ? trimmed : trimmed.substring(slash + 1);
    }

    /**
     * BuildKit's system.NormalizePath for Linux: {@code path} against {@code parent}, cleaned; with
     * {@code keepSlash}, a trailing "/" or "/." (meaning "a directory") is kept.
     */
    static String normalize(String parent, String path, boolean keepSlash) {
        String original = path.isEmpty() ? "." : path;
        String joined = isAbs(original) ? clean(original) : clean(join(parent.isEmpty() ? "/" : parent, original));
        if (!isAbs(joined)) {
            joined = "/" + joined;
        }
        if (keepSlash && (original.endsWith("/") || original.endsWith("/.")) && !joined.equals("/")) {
            joined += "/";
        }
        return joined;
    }
}
