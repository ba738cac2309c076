package dev.kiln.core;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Directory-tree chores that never follow symlinks: listing entry names and deleting whole trees. A tree being
 * deleted may lose entries to someone else meanwhile (a cache being pruned, a mount going away); what is already
 * gone counts as deleted.
 */
public final class Trees {
    private Trees() {}

    /** The names of the entries of {@code directory}, sorted. */
    public static List<String> names(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            List<String> names = new ArrayList<>();
            entries.forEach(entry -> names.add(entry.getFileName().toString()));
            names.sort(null);
            return names;
        }
    }

    /** The entries of {@code directory}, sorted by name. */
    public static List<Path> children(Path directory) throws IOException {
        return names(directory).stream().map(directory::resolve).toList();
    }

    /** rm -rf: deletes a file, symlink (never followed) or directory tree; a missing path is fine. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Deletes what is inside {@code directory}, keeping the directory itself. */
    public static void deleteContents(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                deleteRecursively(entry);
            }
        }
    }
}
