package dev.kiln.worker.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScopedPathTest {
  @TempDir Path root;

  @Test
  void absoluteSymlinkResolvesInsideTheRoot() throws Exception {
    Files.createDirectories(root.resolve("real/etc"));
    Files.createSymbolicLink(root.resolve("etc"), Path.of("/real/etc"));

    assertThat(ScopedPath.resolve(root, "/etc/passwd")).isEqualTo(root.resolve("real/etc/passwd"));
  }

  @Test
  void dotDotCannotClimbAboveTheRoot() throws Exception {
    Files.createDirectories(root.resolve("a"));
    Files.createSymbolicLink(root.resolve("a/escape"), Path.of("../../../../etc"));

    assertThat(ScopedPath.resolve(root, "/../../x")).isEqualTo(root.resolve("x"));
    assertThat(ScopedPath.resolve(root, "a/escape/shadow")).isEqualTo(root.resolve("etc/shadow"));
  }

  @Test
  void missingTailIsKeptAsWritten() throws Exception {
    assertThat(ScopedPath.resolve(root, "/work/dir/../sub")).isEqualTo(root.resolve("work/sub"));
    assertThat(ScopedPath.resolve(root, "/")).isEqualTo(root);
  }

  @Test
  void symlinkLoopIsAnError() throws Exception {
    Files.createSymbolicLink(root.resolve("loop"), Path.of("/loop"));

    assertThatThrownBy(() -> ScopedPath.resolve(root, "/loop/x"))
        .isInstanceOf(IOException.class).hasMessageContaining("too many levels of symbolic links");
  }
}
