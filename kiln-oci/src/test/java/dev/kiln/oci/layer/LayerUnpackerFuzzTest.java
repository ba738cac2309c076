package dev.kiln.oci.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Any bytes as a layer blob (plain, gzip or zstd tar, told by the magic bytes as for a pulled layer): unpacking
 * into an empty directory either succeeds or stops with an IOException that says why, and whatever the entries
 * (names with "..", symlinks out, hard links to elsewhere), nothing outside the directory is written: a sibling
 * directory with a canary file, the directory above and "/" stay as they were. Seeds: small layers with one of
 * each entry kind, pax and GNU extensions, whiteouts, compressed forms and the escapes LayerSafetyTest refuses.
 */
class LayerUnpackerFuzzTest {
  private static final byte[] CANARY = "canary".getBytes(StandardCharsets.UTF_8);
  private static final AtomicLong RUNS = new AtomicLong();
  private static Path root;
  private static List<String> rootNames;

  @FuzzTest
  void apply(byte[] blob) throws IOException {
    Path sandbox = Files.createDirectory(root().resolve("run-" + RUNS.incrementAndGet()));
    try {
      Path target = Files.createDirectory(sandbox.resolve("target"));
      Path outside = Files.createDirectory(sandbox.resolve("outside"));
      Files.write(outside.resolve("canary"), CANARY);
      try {
        LayerUnpacker.apply(new ByteArrayInputStream(blob), target);
      } catch (IOException e) {
        assertThat(e.getMessage()).as("message of %s", e).isNotBlank();
      }
      assertThat(names(sandbox)).containsExactly("outside", "target");
      assertThat(names(outside)).containsExactly("canary");
      assertThat(Files.isDirectory(outside, LinkOption.NOFOLLOW_LINKS)).isTrue();
      assertThat(Files.readAllBytes(outside.resolve("canary"))).isEqualTo(CANARY);
      assertThat(names(root)).containsExactly(sandbox.getFileName().toString());
      assertThat(names(Path.of("/"))).isEqualTo(rootNames);
    } finally {
      delete(sandbox);
    }
  }

  /** One directory for the whole run, next to nothing else, so a write beside a sandbox shows. */
  private static synchronized Path root() throws IOException {
    if (root == null) {
      root = Files.createTempDirectory("kiln-layer-fuzz");
      root.toFile().deleteOnExit();
      rootNames = names(Path.of("/"));
    }
    return root;
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Deletes the tree without following symlinks; directories a layer made unwritable are no obstacle to root. */
  private static void delete(Path tree) throws IOException {
    Files.walkFileTree(tree, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
        if (failure != null) {
          throw new UncheckedIOException(failure);
        }
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
