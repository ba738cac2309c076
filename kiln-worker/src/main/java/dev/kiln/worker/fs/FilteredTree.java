package dev.kiln.worker.fs;

import dev.kiln.core.GoPath;
import dev.kiln.core.PathPatterns;
import dev.kiln.core.Trees;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The entries under a directory that pass include and exclude patterns, in pre-order (a directory before its
 * contents, names sorted), with their lstat. Only metadata is read.
 *
 * <p>Paths are matched relative to the directory. A directory is kept when it passes the filters itself or
 * when something under it does (an include pattern "a/?/c" keeps "a" and "a/b" as the parents of "a/b/c").
 * Subtrees that no include pattern can reach, or that exclude patterns cover with no exception possible, are
 * not read at all. Symlinks are entries like any other and are never followed.
 */
final class FilteredTree {

    /**
     * One kept entry: its path relative to the scanned directory {@code top} ("a/b") and its lstat. The host path is
     * made when asked for, not kept: a 20,000-file context's scans are held through its sync, checksum and copy, and
     * each kept host path was some 170 bytes more per entry (the path's bytes and its offsets) in the daemon's heap.
     */
    record Entry(Path top, String relative, FileStat stat) {

        /** The entry's path on the host. */
        Path path() {
            return top.resolve(relative);
        }
    }

    private final PathPatterns include;
    private final PathPatterns exclude;

    FilteredTree(PathPatterns include, PathPatterns exclude) {
        this.include = include;
        this.exclude = exclude;
    }

    /** Entries below {@code dir}, not including {@code dir} itself. */
    List<Entry> scan(Path dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        scanInto(dir, dir, "", PathPatterns.Match.TOP, PathPatterns.Match.TOP, out);
        return out;
    }

    /** Appends kept entries under dir to out; returns whether anything was appended. */
    private boolean scanInto(
            Path top,
            Path dir,
            String relDir,
            PathPatterns.Match parentInclude,
            PathPatterns.Match parentExclude,
            List<Entry> out)
            throws IOException {
        boolean any = false;
        for (Path child : Trees.children(dir)) {
            String rel = GoPath.append(relDir, child.getFileName().toString());
            PathPatterns.Match inc = include.isEmpty() ? null : include.match(rel, parentInclude);
            PathPatterns.Match exc = exclude.isEmpty() ? null : exclude.match(rel, parentExclude);
            boolean included = (inc == null || inc.matched()) && (exc == null || !exc.matched());
            FileStat stat = FileStat.of(child);
            if (!stat.isDirectory()) {
                if (included) {
                    out.add(new Entry(top, rel, stat));
                    any = true;
                }
                continue;
            }
            if (exc != null && exc.matched() && exclude.matchesAllUnder(rel)) {
                continue;
            }
            if (inc != null && !inc.matched() && !include.mayMatchUnder(rel)) {
                continue;
            }
            int at = out.size();
            out.add(new Entry(top, rel, stat));
            boolean below = scanInto(
                    top,
                    child,
                    rel,
                    inc == null ? PathPatterns.Match.TOP : inc,
                    exc == null ? PathPatterns.Match.TOP : exc,
                    out);
            if (included || below) {
                any = true;
            } else {
                out.remove(at);
            }
        }
        return any;
    }
}
