package dev.kiln.worker.fs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What a file operation left in a directory, as {@code find . | sort} shows it: the tests compare whole trees. */
final class TreeListing {

    private TreeListing() {}

    /** Every path below {@code dir} (not itself), relative to it, sorted; symlinks are listed, never followed. */
    static List<String> tree(Path dir) throws Exception {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> !p.equals(dir))
                    .map(p -> dir.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }
}
