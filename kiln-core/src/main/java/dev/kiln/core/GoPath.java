package dev.kiln.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Lexical slash-separated path operations with the semantics of Go's {@code path} and {@code path/filepath} (on
 * Unix): BuildKit's client normalises every path in an op with them, so the cleaned path is part of the op's digest,
 * and the worker resolves LLB paths, wildcards and patterns the way BuildKit's Go code does.
 */
public final class GoPath {

    private GoPath() {}

    /** Go's {@code path.Clean}: shortest equivalent path, ".." resolved lexically, never empty ("." instead). */
    public static String clean(String path) {
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

    /** Go's {@code path.Join}: the non-empty elements joined with "/" and cleaned; "" if all are empty. */
    public static String join(String... elements) {
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

    /**
     * {@code parent + "/" + child} without cleaning (unlike {@link #join}), adding no slash when {@code parent}
     * already ends in one; an empty side gives the other unchanged.
     */
    public static String append(String parent, String child) {
        if (parent.isEmpty()) {
            return child;
        }
        if (child.isEmpty()) {
            return parent;
        }
        return parent.endsWith("/") ? parent + child : parent + "/" + child;
    }

    /** Go's {@code path.IsAbs}. */
    public static boolean isAbs(String path) {
        return path.startsWith("/");
    }

    /** {@code filepath.Join("/", path)}: an absolute clean path where ".." never climbs above "/". */
    public static String absolute(String path) {
        return clean("/" + path);
    }

    /** The non-empty elements of a path, in order. */
    public static List<String> elements(String path) {
        List<String> out = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                out.add(part);
            }
        }
        return out;
    }

    /** Go's {@code filepath.Base}: last element after trailing slashes are removed; "/" for a root, "." for empty. */
    public static String base(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        int end = path.length();
        while (end > 0 && path.charAt(end - 1) == '/') {
            end--;
        }
        if (end == 0) {
            return "/";
        }
        int start = path.lastIndexOf('/', end - 1) + 1;
        return path.substring(start, end);
    }

    /** Go's {@code filepath.Dir}: everything but the last element, cleaned. */
    public static String dir(String path) {
        int slash = path.lastIndexOf('/');
        return clean(path.substring(0, slash + 1));
    }
}
