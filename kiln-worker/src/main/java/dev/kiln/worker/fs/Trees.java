package dev.kiln.worker.fs;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Whole-tree operations that never follow symlinks. */
final class Trees {

  private Trees() {}

  /** rm -rf: removes a file, symlink or directory tree; a missing path is fine. */
  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      Files.deleteIfExists(path);
      return;
    }
    Files.walkFileTree(path, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        if (exc != null && !(exc instanceof NoSuchFileException)) {
          throw exc;
        }
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

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
