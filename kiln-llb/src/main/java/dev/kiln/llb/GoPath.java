package dev.kiln.llb;

import java.util.ArrayList;
import java.util.List;

/**
 * Go's {@code path.Clean} and {@code path.Join}: BuildKit's client normalises every path in an op
 * with them, and the normalised path is part of the op's digest.
 */
final class GoPath {

    private GoPath() {
    }

    static String clean(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        boolean rooted = path.charAt(0) == '/';
        List<String> parts = new ArrayList<>();
        for (String element : path.split("/", -1)) {
            if (element.isEmpty() || element.equals(".")) {
                continue;
            }
            if (element.equals("..")) {
                if (!parts.isEmpty() && !parts.getLast().equals("..")) {
                    parts.removeLast();
                } else if (!rooted) {
                    parts.add("..");
                }
                continue;
            }
            parts.add(element);
        }
        String joined = String.join("/", parts);
        if (rooted) {
            return "/" + joined;
        }
        return joined.isEmpty() ? "." : joined;
    }

    static String join(String... elements) {
        StringBuilder joined = new StringBuilder();
        for (String element : elements) {
            if (element.isEmpty()) {
                continue;
            }
            if (!joined.isEmpty()) {
                joined.append('/');
            }
            joined.append(element);
        }
        return joined.isEmpty() ? "" : clean(joined.toString());
    }

    static boolean isAbs(String path) {
        return path.startsWith("/");
    }

    /**
     * BuildKit's {@code normalizePath}: a relative path is resolved against the state's working
     * directory; with {@code keepSlash} a trailing "/" or "/." (which change what copy does) survives.
     */
    static String normalize(String parent, String path, boolean keepSlash) {
        String result = clean(path);
        if (!isAbs(result)) {
            result = join("/", parent, result);
        }
        if (keepSlash) {
            if (path.endsWith("/") && !result.endsWith("/")) {
                result += "/";
            } else if (path.endsWith("/.")) {
                if (!result.equals("/")) {
                    result += "/";
                }
                result += ".";
            }
        }
        return result;
    }
}
