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

    /** A symlink at {@code at} (root-relative) holding {@code target}. */
    private void link(String at, String target) throws Exception {
        Files.createSymbolicLink(root.resolve(at), Path.of(target));
    }

    /** {@code path}, every symlink on it followed, is {@code expected} under the root. */
    private void assertResolves(String path, String expected) throws Exception {
        assertThat(scope.resolve(path)).isEqualTo(root.resolve(expected));
    }

    /** {@code path}, its last element kept as it is, is {@code expected} under the root. */
    private void assertResolvesParent(String path, String expected) throws Exception {
        assertThat(scope.resolveParent(path)).isEqualTo(root.resolve(expected));
    }

    @Test
    void plainPathsResolveUnderTheRoot() throws Exception {
        assertResolves("/a/b", "a/b");
        assertResolves("a/b/", "a/b");
        assertThat(scope.resolve("/")).isEqualTo(root);
        assertResolves("/missing/file", "missing/file");
    }

    @Test
    void dotDotInTheRequestedPathStopsAtTheRoot() throws Exception {
        assertResolves("/../../etc", "etc");
        assertResolves("a/../../../a/b", "a/b");
    }

    @Test
    void aMissingTailIsTakenAsWritten() throws Exception {
        assertResolves("/work/dir/../sub", "work/sub");
    }

    @Test
    void absoluteSymlinksAreReRootedUnderTheRoot() throws Exception {
        link("a/abs", "/etc");
        assertResolves("/a/abs/passwd", "etc/passwd");
    }

    @Test
    void relativeSymlinksInsideTheRootAreFollowed() throws Exception {
        link("a/b/up", "../../etc");
        assertResolves("/a/b/up/hosts", "etc/hosts");
    }

    @Test
    void finalSymlinkIsKeptWhenNotFollowed() throws Exception {
        link("a/link", "/etc");
        assertResolvesParent("/a/link", "a/link");
        assertResolves("/a/link", "etc");
    }

    @Test
    void symlinkClimbingAboveTheRootStopsAtTheRoot() throws Exception {
        link("a/b/escape", "../../../etc");
        link("symlink", "../tmp/symlink-target");
        assertResolves("/a/b/escape/passwd", "etc/passwd");
        assertResolves("/symlink", "tmp/symlink-target");
        assertResolves("/symlink/x", "tmp/symlink-target/x");
        assertResolvesParent("/symlink/x", "tmp/symlink-target/x");
    }

    @Test
    void finalSymlinkClimbingAboveTheRootIsFollowedInsideIt() throws Exception {
        link("a/b/file", "../../../../../etc/shadow");
        assertResolves("/a/b/file", "etc/shadow");
        assertResolvesParent("/a/b/file", "a/b/file");
    }

    @Test
    void symlinkLoopsAreReported() throws Exception {
        link("loop1", "loop2");
        link("loop2", "loop1");
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
