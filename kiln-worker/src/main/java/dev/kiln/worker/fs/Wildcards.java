package dev.kiln.worker.fs;

import dev.kiln.core.Glob;
import dev.kiln.core.GoPath;
import dev.kiln.core.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Expands a source path with wildcards into the paths it matches inside a root, the way BuildKit's copy does:
 * the elements before the first one with a wildcard name a directory (resolved inside the root), and the rest are
 * matched element by element below it, never descending into symlinks.
 */
final class Wildcards {

    private Wildcards() {}

    /** Whether any element of the path holds an unescaped wildcard. */
    static boolean present(String path) {
        return GoPath.elements(path).stream().anyMatch(Glob::hasWildcards);
    }

    /**
     * The root-relative paths matched, in lexical order; the path itself (cleaned) when it has no wildcard. Paths
     * returned are where the matches really are, so a symlinked directory before the wildcard is already resolved.
     */
    static List<String> expand(ScopedRoot scope, String path, boolean followLinks) throws IOException {
        List<String> elements = GoPath.elements(GoPath.absolute(path));
        int firstWildcard = 0;
        while (firstWildcard < elements.size() && !Glob.hasWildcards(elements.get(firstWildcard))) {
            firstWildcard++;
        }
        String fixed = "/" + String.join("/", elements.subList(0, firstWildcard));
        if (firstWildcard == elements.size()) {
            return List.of(fixed);
        }
        List<Glob> globs = new ArrayList<>();
        for (String element : elements.subList(firstWildcard, elements.size())) {
            globs.add(Glob.compile(element));
        }
        Path base = followLinks ? scope.resolve(fixed) : scope.resolveParent(fixed);
        List<String> out = new ArrayList<>();
        if (Files.isDirectory(base, LinkOption.NOFOLLOW_LINKS)) {
            collect(scope, base, globs, 0, out);
        }
        return out;
    }

    private static void collect(ScopedRoot scope, Path dir, List<Glob> globs, int depth, List<String> out)
            throws IOException {
        Glob glob = globs.get(depth);
        boolean last = depth == globs.size() - 1;
        for (Path child : Trees.children(dir)) {
            if (!glob.matches(child.getFileName().toString())) {
                continue;
            }
            if (last) {
                out.add(scope.relative(child));
            } else if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                collect(scope, child, globs, depth + 1, out);
            }
        }
    }
}
