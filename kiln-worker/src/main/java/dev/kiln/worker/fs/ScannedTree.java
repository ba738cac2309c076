package dev.kiln.worker.fs;

import java.nio.file.Path;
import java.util.List;

/**
 * The entries below one directory as a filtered scan found them, lstat included, kept so that a second walk of the
 * same tree with the same patterns can use them instead of stat'ing every entry again: a local source's checksum
 * (its cache key) and then its sync read the same context, 20,000 lstat calls each for a 20,000-file one.
 */
public final class ScannedTree {

    private final Path root;
    private final List<FilteredTree.Entry> entries;

    ScannedTree(Path root, List<FilteredTree.Entry> entries) {
        this.root = root.toAbsolutePath().normalize();
        this.entries = List.copyOf(entries);
    }

    /** The entries, when this scan was of {@code dir} (absolute and normalized); null otherwise. */
    List<FilteredTree.Entry> entriesOf(Path dir) {
        return root.equals(dir) ? entries : null;
    }
}
