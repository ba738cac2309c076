package dev.kiln.worker.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Directories made inside a scope, never following symlinks (deleting trees: kiln-core's Trees). */
final class Directories {

    private Directories() {}

    /**
     * mkdir -p inside a scope for a host path that {@link ScopedRoot} resolved: existing elements are directories
     * already, missing ones are created with the given permissions, owner (null: the process's) and times (null:
     * now). Returns the directories created, outermost first.
     */
    static List<Path> mkdirAll(ScopedRoot scope, Path target, int permissions, Owner owner, Instant timestamp)
            throws IOException {
        Path root = scope.root();
        Path rel = root.relativize(target.toAbsolutePath().normalize());
        List<Path> created = new ArrayList<>();
        Path current = root;
        if (rel.toString().isEmpty()) {
            return created;
        }
        for (Path element : rel) {
            current = current.resolve(element.toString());
            if (Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            if (Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
                throw new NotDirectoryException(current.toString());
            }
            Files.createDirectory(current);
            Metadata.chmod(current, permissions);
            if (owner != null) {
                Metadata.chown(current, owner);
            }
            created.add(current);
        }
        if (timestamp != null) {
            // Innermost first: creating a child changes its parent's mtime.
            for (Path dir : created.reversed()) {
                Metadata.setTimes(dir, timestamp);
            }
        }
        return created;
    }
}
