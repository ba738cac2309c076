package dev.kiln.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns "follow paths" of a local source into include patterns, like fsutil's FollowLinks: each path is included,
 * and where one of its elements is a symlink inside the context, the link and (recursively) the path it points
 * to are included instead, so a Dockerfile that is a symlink arrives with its target. Targets are taken inside
 * the context: an absolute target starts at the context root, and ".." stops there. Nothing outside the context
 * is read.
 */
public final class FollowPaths {

    private final Path context;
    private final Set<String> resolved = new TreeSet<>();

    private FollowPaths(Path context) {
        this.context = context;
    }

    /** Include patterns for the follow paths, sorted and without paths covered by others; empty means all. */
    public static List<String> resolve(Path context, List<String> followPaths) throws IOException {
        FollowPaths r = new FollowPaths(context);
        for (String p : followPaths) {
            r.append(p);
        }
        List<String> out = new ArrayList<>();
        String last = null;
        for (String p : r.resolved) {
            if (p.equals(".")) {
                return List.of();
            }
            if (last != null && p.startsWith(last + "/")) {
                continue;
            }
            out.add(p);
            last = p;
        }
        return out;
    }

    private void append(String path) throws IOException {
        String rest = GoPath.clean(GoPath.append(".", path.startsWith("/") ? path.substring(1) : path));
        if (rest.equals(".")) {
            resolved.add(".");
            return;
        }
        String current = "";
        while (true) {
            int slash = rest.indexOf('/');
            String head = slash < 0 ? rest : rest.substring(0, slash);
            rest = slash < 0 ? "" : rest.substring(slash + 1);
            current = GoPath.append(current, head);
            List<String> targets = symlinkTargets(current, true);
            if ((rest.isEmpty() || targets != null) && resolved.contains(current)) {
                return;
            }
            if (targets != null) {
                resolved.add(current);
                for (String target : targets) {
                    append(GoPath.append(target, rest));
                }
                return;
            }
            if (rest.isEmpty()) {
                resolved.add(current);
                return;
            }
        }
    }

    /** Where the symlink(s) at rel point, as context-absolute paths; null when rel is not a symlink. */
    private List<String> symlinkTargets(String rel, boolean allowWildcard) throws IOException {
        String base = GoPath.base(rel);
        if (allowWildcard && Glob.hasWildcards(base)) {
            String parent = GoPath.dir(rel);
            Path dir = inside(parent);
            if (dir == null || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            Glob glob = Glob.compile(base);
            List<String> out = null;
            for (Path child : Trees.children(dir)) {
                String name = child.getFileName().toString();
                if (glob.matches(name)) {
                    List<String> targets = symlinkTargets(GoPath.append(parent.equals(".") ? "" : parent, name), false);
                    if (targets != null) {
                        out = out == null ? new ArrayList<>() : out;
                        out.addAll(targets);
                    }
                }
            }
            return out;
        }
        Path host = inside(rel);
        if (host == null || !Files.isSymbolicLink(host)) {
            return null;
        }
        String link = GoPath.clean(Files.readSymbolicLink(host).toString());
        if (link.startsWith("/")) {
            return List.of(link);
        }
        return List.of(GoPath.absolute(GoPath.append(GoPath.dir("/" + rel), link)));
    }

    /** The host path of rel if none of its parents is a symlink or non-directory, else null. */
    private Path inside(String rel) {
        Path p = context;
        List<String> elements = GoPath.elements(rel);
        for (int i = 0; i < elements.size(); i++) {
            if (elements.get(i).equals(".")) {
                continue;
            }
            p = p.resolve(elements.get(i));
            if (i < elements.size() - 1 && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
        }
        return p;
    }
}
