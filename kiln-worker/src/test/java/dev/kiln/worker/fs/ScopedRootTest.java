package dev.kiln.worker.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScopedRootTest {

    @TempDir
    Path tmp;

    private Path root;
    private ScopedRoot scope;

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectory(tmp.resolve("root"));
        Files.createDirectories(root.resolve("a/b"));
        Files.createDirectories(root.resolve("etc"));
        scope = new ScopedRoot(root);
    }

    @Test
    void plainPathsResolveUnderTheRoot() throws Exception {
        assertThat(scope.resolve("/a/b")).isEqualTo(root.resolve("a/b"));
        assertThat(scope.resolve("a/b/")).isEqualTo(root.resolve("a/b"));
        assertThat(scope.resolve("/")).isEqualTo(root);
        assertThat(scope.resolve("/missing/file")).isEqualTo(root.resolve("missing/file"));
    }

    @Test
    void dotDotInTheRequestedPathStopsAtTheRoot() throws Exception {
        assertThat(scope.resolve("/../../etc")).isEqualTo(root.resolve("etc"));
        assertThat(scope.resolve("a/../../../a/b")).isEqualTo(root.resolve("a/b"));
    }

    @Test
    void aMissingTailIsTakenAsWritten() throws Exception {
        assertThat(scope.resolve("/work/dir/../sub")).isEqualTo(root.resolve("work/sub"));
    }

    @Test
    void absoluteSymlinksAreReRootedUnderTheRoot() throws Exception {
        Files.createSymbolicLink(root.resolve("a/abs"), Path.of("/etc"));
        assertThat(scope.resolve("/a/abs/passwd")).isEqualTo(root.resolve("etc/passwd"));
    }

    @Test
    void relativeSymlinksInsideTheRootAreFollowed() throws Exception {
        Files.createSymbolicLink(root.resolve("a/b/up"), Path.of("../../etc"));
        assertThat(scope.resolve("/a/b/up/hosts")).isEqualTo(root.resolve("etc/hosts"));
    }

    @Test
    void finalSymlinkIsKeptWhenNotFollowed() throws Exception {
        Files.createSymbolicLink(root.resolve("a/link"), Path.of("/etc"));
        assertThat(scope.resolveParent("/a/link")).isEqualTo(root.resolve("a/link"));
        assertThat(scope.resolve("/a/link")).isEqualTo(root.resolve("etc"));
    }

    @Test
    void symlinkClimbingAboveTheRootStopsAtTheRoot() throws Exception {
        Files.createSymbolicLink(root.resolve("a/b/escape"), Path.of("../../../etc"));
        Files.createSymbolicLink(root.resolve("symlink"), Path.of("../tmp/symlink-target"));
        assertThat(scope.resolve("/a/b/escape/passwd")).isEqualTo(root.resolve("etc/passwd"));
        assertThat(scope.resolve("/symlink")).isEqualTo(root.resolve("tmp/symlink-target"));
        assertThat(scope.resolve("/symlink/x")).isEqualTo(root.resolve("tmp/symlink-target/x"));
        assertThat(scope.resolveParent("/symlink/x")).isEqualTo(root.resolve("tmp/symlink-target/x"));
    }

    @Test
    void finalSymlinkClimbingAboveTheRootIsFollowedInsideIt() throws Exception {
        Files.createSymbolicLink(root.resolve("a/b/file"), Path.of("../../../../../etc/shadow"));
        assertThat(scope.resolve("/a/b/file")).isEqualTo(root.resolve("etc/shadow"));
        assertThat(scope.resolveParent("/a/b/file")).isEqualTo(root.resolve("a/b/file"));
    }

    @Test
    void symlinkLoopsAreReported() throws Exception {
        Files.createSymbolicLink(root.resolve("loop1"), Path.of("loop2"));
        Files.createSymbolicLink(root.resolve("loop2"), Path.of("loop1"));
        assertThatThrownBy(() -> scope.resolve("/loop1/x"))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("too many levels of symbolic links");
    }

    @Test
    void relativeShowsRootRelativePaths() {
        assertThat(scope.relative(root.resolve("a/b"))).isEqualTo("/a/b");
        assertThat(scope.relative(root)).isEqualTo("/");
    }
}
