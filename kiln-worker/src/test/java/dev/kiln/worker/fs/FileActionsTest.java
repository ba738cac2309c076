package dev.kiln.worker.fs;

import static dev.kiln.worker.fs.StatChecks.assertModeOwnerAndTime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mkdir, mkfile, rm and symlink on a real directory; copy has its own test class. */
class FileActionsTest {

    private static final Instant EPOCH_2000 = Instant.parse("2000-01-01T00:00:00Z");

    @TempDir
    Path tmp;

    private Path root;
    private FileActions actions;

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectory(tmp.resolve("root"));
        actions = new FileActions(root, name -> switch (name.user()) {
            case "app" -> new Owner(1000, name.group() == null ? 1000 : 2000);
            default -> throw new java.io.IOException("no such user");
        });
    }

    private FileStat stat(String rel) throws Exception {
        return FileStat.of(root.resolve(rel));
    }

    @Test
    void mkdirCreatesDirectoryWithModeOwnerAndTimestamp() throws Exception {
        actions.mkdir("/data", 0750, false, new Owner(123, 456), EPOCH_2000);
        FileStat s = stat("data");
        assertThat(s.isDirectory()).isTrue();
        assertModeOwnerAndTime(s, 0750, 123, 456, EPOCH_2000);
    }

    @Test
    void mkdirResolvesOwnerNamesThroughTheLookup() throws Exception {
        actions.mkdir("/home", 0755, false, new OwnerName("app", "staff"), null);
        assertThat(stat("home").uid()).isEqualTo(1000);
        assertThat(stat("home").gid()).isEqualTo(2000);
    }

    @Test
    void mkdirWithUnknownOwnerNameFailsNamingTheOwner() {
        assertThatThrownBy(() -> actions.mkdir("/x", 0755, false, new OwnerName("nobody-here", null), null))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("mkdir /x")
                .hasMessageContaining("nobody-here");
    }

    @Test
    void mkdirWithParentsCreatesEveryMissingLevel() throws Exception {
        actions.mkdir("/a/b/c", 0700, true, new Owner(7, 8), EPOCH_2000);
        for (String rel : List.of("a", "a/b", "a/b/c")) {
            assertThat(stat(rel).permissions()).as(rel).isEqualTo(0700);
            assertThat(stat(rel).uid()).as(rel).isEqualTo(7);
            assertThat(stat(rel).modified().toInstant()).as(rel).isEqualTo(EPOCH_2000);
        }
    }

    @Test
    void mkdirOfAnExistingDirectoryLeavesItAlone() throws Exception {
        Files.createDirectories(root.resolve("a"));
        Files.setAttribute(root.resolve("a"), "unix:mode", 0711);
        actions.mkdir("/a", 0755, true, null, null);
        actions.mkdir("/a", 0755, false, null, null);
        assertThat(stat("a").permissions()).isEqualTo(0711);
    }

    @Test
    void mkdirOverAFileIsAnError() throws Exception {
        Files.writeString(root.resolve("f"), "x");
        assertThatThrownBy(() -> actions.mkdir("/f", 0755, true, null, null))
                .isInstanceOf(FsException.class)
                .hasMessage("mkdir /f: exists and is not a directory");
    }

    @Test
    void mkdirWithoutParentsNeedsTheParent() {
        assertThatThrownBy(() -> actions.mkdir("/no/such/dir", 0755, false, null, null))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("mkdir /no/such/dir")
                .hasMessageContaining("parent directory /no/such does not exist");
    }

    @Test
    void mkdirFollowsSymlinksInsideTheRootOnly() throws Exception {
        Files.createDirectories(root.resolve("real"));
        Files.createSymbolicLink(root.resolve("abs"), Path.of("/real"));
        actions.mkdir("/abs/sub", 0755, false, null, null);
        assertThat(root.resolve("real/sub")).isDirectory();

        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("escape"), Path.of("../outside"));
        actions.mkdir("/escape/sub", 0755, true, null, null);
        assertThat(root.resolve("outside/sub")).isDirectory();
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void mkdirThroughALinkClimbingAboveTheRootCreatesInsideTheRoot() throws Exception {
        Path hostTmp = Files.createDirectories(tmp.resolve("tmp/symlink-target"));
        Files.createDirectories(root.resolve("tmp/symlink-target"));
        Files.createSymbolicLink(root.resolve("symlink"), Path.of("../tmp/symlink-target"));
        actions.mkdir("/symlink/work", 0755, false, null, null);
        actions.mkdir("/symlink/deep/er", 0755, true, null, null);
        assertThat(root.resolve("tmp/symlink-target/work")).isDirectory();
        assertThat(root.resolve("tmp/symlink-target/deep/er")).isDirectory();
        assertThat(hostTmp).isEmptyDirectory();
    }

    @Test
    void mkfileWritesDataWithModeOwnerAndTimestamp() throws Exception {
        actions.mkfile("/hello.txt", 0640, "hello".getBytes(), new Owner(11, 22), EPOCH_2000);
        assertThat(root.resolve("hello.txt")).hasContent("hello");
        FileStat s = stat("hello.txt");
        assertModeOwnerAndTime(s, 0640, 11, 22, EPOCH_2000);
    }

    @Test
    void mkfileReplacesAnExistingFileWithoutTouchingItsOtherHardLinks() throws Exception {
        Files.writeString(root.resolve("f"), "old");
        Files.createLink(root.resolve("g"), root.resolve("f"));
        actions.mkfile("/f", 0600, "new".getBytes(), null, null);
        assertThat(root.resolve("f")).hasContent("new");
        assertThat(root.resolve("g")).hasContent("old");
        assertThat(stat("f").permissions()).isEqualTo(0600);
        try (var siblings = Files.list(root)) {
            assertThat(siblings.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("f", "g");
        }
    }

    @Test
    void mkfileOnADirectoryOrMissingParentIsAnError() throws Exception {
        Files.createDirectories(root.resolve("d"));
        assertThatThrownBy(() -> actions.mkfile("/d", 0644, new byte[0], null, null))
                .isInstanceOf(FsException.class)
                .hasMessage("mkfile /d: is a directory");
        assertThatThrownBy(() -> actions.mkfile("/nodir/f", 0644, new byte[0], null, null))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("mkfile /nodir/f")
                .hasMessageContaining("does not exist");
    }

    @Test
    void mkfileThroughALinkClimbingAboveTheRootWritesInsideTheRoot() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.createDirectories(root.resolve("outside"));
        Files.createSymbolicLink(root.resolve("out"), Path.of("../outside/file"));
        Files.createSymbolicLink(root.resolve("dir"), Path.of("../../outside"));
        actions.mkfile("/out", 0644, "x".getBytes(), null, null);
        actions.mkfile("/dir/other", 0644, "y".getBytes(), null, null);
        assertThat(root.resolve("outside/file")).hasContent("x");
        assertThat(root.resolve("outside/other")).hasContent("y");
        assertThat(Files.isSymbolicLink(root.resolve("out"))).isTrue();
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void rmRemovesFilesAndWholeTrees() throws Exception {
        Files.createDirectories(root.resolve("d/e"));
        Files.writeString(root.resolve("d/e/f"), "x");
        Files.writeString(root.resolve("g"), "x");
        actions.rm("/d", false, false);
        actions.rm("/g", false, false);
        assertThat(root).isEmptyDirectory();
    }

    @Test
    void rmOfAMissingPathFailsUnlessAllowed() throws Exception {
        assertThatThrownBy(() -> actions.rm("/missing", false, false))
                .isInstanceOf(FsException.class)
                .hasMessage("rm /missing: no such file or directory");
        actions.rm("/missing", true, false);
        actions.rm("/no/parent/either", true, false);
    }

    @Test
    void rmRemovesASymlinkNotItsTarget() throws Exception {
        Files.createDirectories(root.resolve("target"));
        Files.writeString(root.resolve("target/keep"), "x");
        Files.createSymbolicLink(root.resolve("link"), Path.of("target"));
        Files.createSymbolicLink(root.resolve("dangling"), Path.of("nowhere"));
        actions.rm("/link", false, false);
        actions.rm("/dangling", false, false);
        assertThat(root.resolve("target/keep")).exists();
        assertThat(Files.exists(root.resolve("link"), LinkOption.NOFOLLOW_LINKS))
                .isFalse();
        assertThat(Files.exists(root.resolve("dangling"), LinkOption.NOFOLLOW_LINKS))
                .isFalse();
    }

    @Test
    void rmWithWildcardRemovesEveryMatch() throws Exception {
        Files.createDirectories(root.resolve("logs"));
        for (String name : List.of("a.log", "b.log", "keep.txt")) {
            Files.writeString(root.resolve("logs").resolve(name), name);
        }
        actions.rm("/logs/*.log", false, true);
        try (var left = Files.list(root.resolve("logs"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("keep.txt");
        }
        actions.rm("/logs/*.none", false, true);
    }

    @Test
    void rmOfTheRootIsRefused() {
        assertThatThrownBy(() -> actions.rm("/", true, false))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("cannot remove the root");
    }

    @Test
    void rmThroughAParentClimbingAboveTheRootRemovesInsideTheRootOnly() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("precious"), "x");
        Files.createDirectories(root.resolve("outside"));
        Files.writeString(root.resolve("outside/precious"), "x");
        Files.createSymbolicLink(root.resolve("up"), Path.of("../outside"));
        actions.rm("/up/precious", false, false);
        assertThat(root.resolve("outside/precious")).doesNotExist();
        assertThat(outside.resolve("precious")).exists();
    }

    @Test
    void symlinkIsCreatedVerbatimWithOwnerAndTimestamp() throws Exception {
        Files.createDirectories(root.resolve("bin"));
        actions.symlink("/bin/busybox", "/bin/sh", new Owner(5, 6), EPOCH_2000);
        Path link = root.resolve("bin/sh");
        assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("/bin/busybox"));
        FileStat s = FileStat.of(link);
        assertThat(s.isSymlink()).isTrue();
        assertThat(s.uid()).isEqualTo(5);
        assertThat(s.gid()).isEqualTo(6);
        assertThat(s.modified().toInstant()).isEqualTo(EPOCH_2000);
    }

    @Test
    void symlinkOverAnExistingPathIsAnError() throws Exception {
        Files.writeString(root.resolve("taken"), "x");
        assertThatThrownBy(() -> actions.symlink("target", "/taken", null, null))
                .isInstanceOf(FsException.class)
                .hasMessage("symlink /taken: file exists");
    }
}
