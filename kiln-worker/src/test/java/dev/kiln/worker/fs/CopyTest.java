package dev.kiln.worker.fs;

import static dev.kiln.worker.fs.StatChecks.assertModeOwnerAndTime;
import static dev.kiln.worker.fs.TreeListing.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CopyTest extends SourceToDestination {

    private static final Instant SOURCE_TIME = Instant.parse("2015-06-07T08:09:10.123456789Z");
    private static final Instant OVERRIDE_TIME = Instant.parse("2001-02-03T04:05:06Z");

    @Override
    UserLookup users() {
        return name -> new Owner(4242, name.group() == null ? 4242 : 4343);
    }

    private Path file(String rel, String content) throws Exception {
        Path p = src.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        Files.setAttribute(p, "unix:mode", 0640);
        Files.setAttribute(p, "unix:uid", 33, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", 44, LinkOption.NOFOLLOW_LINKS);
        Files.setLastModifiedTime(p, FileTime.from(SOURCE_TIME));
        return p;
    }

    private void copy(String from, String to, CopyOptions options) throws FsException {
        actions.copy(src, from, to, options);
    }

    /** A directory beside the source and destination roots, where a link that escaped the root would write. */
    private Path outsideTheRoot(String name) throws IOException {
        return Files.createDirectories(tmp.resolve(name));
    }

    /** A symlink in the destination tree, its parent directories created. */
    private void destLink(String at, Path target) throws IOException {
        Path link = dst.resolve(at);
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, target);
    }

    @Test
    void copyOfAFileKeepsContentModeOwnerAndMtime() throws Exception {
        file("a.txt", "alpha");
        copy("/a.txt", "/b.txt", CopyOptions.defaults());
        Path b = dst.resolve("b.txt");
        assertThat(b).hasContent("alpha");
        FileStat s = FileStat.of(b);
        assertModeOwnerAndTime(s, 0640, 33, 44, SOURCE_TIME);
    }

    @Test
    void fileCopiedOntoAnExistingDirectoryLandsInsideIt() throws Exception {
        file("a.txt", "alpha");
        Files.createDirectory(dst.resolve("dir"));
        copy("/a.txt", "/dir", CopyOptions.defaults());
        assertThat(dst.resolve("dir/a.txt")).hasContent("alpha");
    }

    @Test
    void destEndingInSlashIsADirectoryCreatedForTheSource() throws Exception {
        file("a.txt", "alpha");
        copy("/a.txt", "/new/dir/", CopyOptions.defaults().withCreateDestPath(true));
        assertThat(dst.resolve("new/dir/a.txt")).hasContent("alpha");
        assertThat(FileStat.of(dst.resolve("new/dir")).permissions()).isEqualTo(0755);
    }

    @Test
    void fileReplacesAnExistingFile() throws Exception {
        file("a.txt", "new");
        Files.writeString(dst.resolve("a.txt"), "old content");
        copy("/a.txt", "/a.txt", CopyOptions.defaults());
        assertThat(dst.resolve("a.txt")).hasContent("new");
    }

    @Test
    void directoryBecomesDestWhenDestIsMissingAndGoesInsideWhenItExists() throws Exception {
        file("app/bin/run", "#!/bin/sh");
        file("app/README", "r");
        copy("/app", "/opt", CopyOptions.defaults());
        assertThat(tree(dst)).containsExactly("opt", "opt/README", "opt/bin", "opt/bin/run");

        copy("/app", "/opt", CopyOptions.defaults());
        assertThat(tree(dst.resolve("opt"))).contains("app/README", "app/bin/run");
    }

    @Test
    void dirCopyContentsMergesTheContentsIntoDest() throws Exception {
        file("app/bin/run", "#!/bin/sh");
        file("app/README", "r");
        Files.createDirectories(dst.resolve("opt"));
        Files.writeString(dst.resolve("opt/existing"), "e");
        copy("/app", "/opt", CopyOptions.defaults().withDirCopyContents(true));
        assertThat(tree(dst)).containsExactly("opt", "opt/README", "opt/bin", "opt/bin/run", "opt/existing");
    }

    @Test
    void sourceEndingInSlashDotCopiesContents() throws Exception {
        file("app/README", "r");
        Files.createDirectories(dst.resolve("opt"));
        copy("/app/.", "/opt", CopyOptions.defaults());
        assertThat(tree(dst)).containsExactly("opt", "opt/README");
    }

    @Test
    void modeOverrideAppliesToFilesAndDirectoriesIncludingSpecialBits() throws Exception {
        file("d/tool", "x");
        copy("/d", "/d", CopyOptions.defaults().withMode(04755));
        assertThat(FileStat.of(dst.resolve("d/tool")).permissions()).isEqualTo(04755);
        assertThat(FileStat.of(dst.resolve("d")).permissions()).isEqualTo(04755);
    }

    @Test
    void symbolicModeChangesEachCopiedEntryRelativeToItsOwnMode() throws Exception {
        file("tree/notes", "n");
        file("tree/bin/tool", "t");
        Files.setAttribute(src.resolve("tree/bin/tool"), "unix:mode", 0700);
        Files.setAttribute(src.resolve("tree/bin"), "unix:mode", 0700);
        Files.setAttribute(src.resolve("tree"), "unix:mode", 0750);
        copy(
                "/tree",
                "/made/tree",
                CopyOptions.defaults().withCreateDestPath(true).withSymbolicMode(SymbolicMode.parse("a+rX,go-w")));
        assertThat(FileStat.of(dst.resolve("made/tree/notes")).permissions()).isEqualTo(0644);
        assertThat(FileStat.of(dst.resolve("made/tree/bin/tool")).permissions()).isEqualTo(0755);
        assertThat(FileStat.of(dst.resolve("made/tree/bin")).permissions()).isEqualTo(0755);
        assertThat(FileStat.of(dst.resolve("made/tree")).permissions()).isEqualTo(0755);
        // A parent the copy had to create is not a copied entry: it gets the default, as in BuildKit.
        assertThat(FileStat.of(dst.resolve("made")).permissions()).isEqualTo(0755);
    }

    @Test
    void symbolicAndAbsoluteModesReplaceEachOther() throws Exception {
        file("f", "x");
        CopyOptions symbolic = CopyOptions.defaults().withMode(0600).withSymbolicMode(SymbolicMode.parse("u+x"));
        assertThat(symbolic.mode()).isNull();
        copy("/f", "/f", symbolic);
        assertThat(FileStat.of(dst.resolve("f")).permissions()).isEqualTo(0740);
        assertThat(symbolic.withMode(0600).symbolicMode()).isNull();
    }

    @Test
    void aModeOutsideThePermissionBitsIsRefusedBeforeAnythingIsCopied() {
        assertThatThrownBy(() -> CopyOptions.defaults().withMode(010000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("copy mode must be within 0..07777, got 010000");
    }

    @Test
    void ownerOverrideChownsEverythingCopied() throws Exception {
        file("d/f", "x");
        Files.createSymbolicLink(src.resolve("d/link"), Path.of("f"));
        copy("/d", "/d", CopyOptions.defaults().withOwner(new Owner(1000, 1001)));
        assertOwnedBy(1000, 1001, "d", "d/f", "d/link");
    }

    @Test
    void ownerNamesAreResolvedByTheLookup() throws Exception {
        file("f", "x");
        copy("/f", "/f", CopyOptions.defaults().withOwner(new OwnerName("app", "app")));
        assertThat(FileStat.of(dst.resolve("f")).uid()).isEqualTo(4242);
        assertThat(FileStat.of(dst.resolve("f")).gid()).isEqualTo(4343);
    }

    @Test
    void timestampOverrideAppliesToCopiedEntriesAndCreatedParents() throws Exception {
        file("d/e/f", "x");
        copy(
                "/d",
                "/out/deep/d",
                CopyOptions.defaults().withCreateDestPath(true).withTimestamp(OVERRIDE_TIME));
        for (String rel : List.of("out", "out/deep", "out/deep/d", "out/deep/d/e", "out/deep/d/e/f")) {
            assertThat(FileStat.of(dst.resolve(rel)).modified().toInstant())
                    .as(rel)
                    .isEqualTo(OVERRIDE_TIME);
        }
    }

    @Test
    void directoryMtimesSurviveCopyingTheirContents() throws Exception {
        file("d/e/f", "x");
        Files.setLastModifiedTime(src.resolve("d/e"), FileTime.from(SOURCE_TIME));
        Files.setLastModifiedTime(src.resolve("d"), FileTime.from(SOURCE_TIME));
        copy("/d", "/d", CopyOptions.defaults());
        assertThat(FileStat.of(dst.resolve("d")).modified().toInstant()).isEqualTo(SOURCE_TIME);
        assertThat(FileStat.of(dst.resolve("d/e")).modified().toInstant()).isEqualTo(SOURCE_TIME);
    }

    @Test
    void followSymlinkDecidesWhetherANamedLinkOrItsTargetIsCopied() throws Exception {
        file("real.txt", "content");
        Files.createSymbolicLink(src.resolve("link.txt"), Path.of("/real.txt"));

        copy("/link.txt", "/followed", CopyOptions.defaults().withFollowSymlink(true));
        assertThat(Files.isSymbolicLink(dst.resolve("followed"))).isFalse();
        assertThat(dst.resolve("followed")).hasContent("content");

        copy("/link.txt", "/kept", CopyOptions.defaults());
        assertThat(Files.readSymbolicLink(dst.resolve("kept"))).isEqualTo(Path.of("/real.txt"));
    }

    @Test
    void symlinksInsideACopiedTreeStayLinks() throws Exception {
        file("d/f", "x");
        Files.createSymbolicLink(src.resolve("d/abs"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(src.resolve("d/rel"), Path.of("f"));
        copy("/d", "/d", CopyOptions.defaults().withFollowSymlink(true));
        assertThat(Files.readSymbolicLink(dst.resolve("d/abs"))).isEqualTo(Path.of("/etc/passwd"));
        assertThat(Files.readSymbolicLink(dst.resolve("d/rel"))).isEqualTo(Path.of("f"));
    }

    @Test
    void sourceSymlinkClimbingAboveTheSourceRootIsReadInsideIt() throws Exception {
        file("etc/passwd", "inside the source");
        Files.createDirectories(src.resolve("a/b"));
        Files.createSymbolicLink(src.resolve("a/b/etc"), Path.of("../../../etc"));
        copy("/a/b/etc/passwd", "/passwd", CopyOptions.defaults());
        assertThat(dst.resolve("passwd")).hasContent("inside the source");
    }

    @Test
    void destThroughARelativeLinkClimbingAboveTheRootLandsInsideTheRoot() throws Exception {
        file("file", "x");
        Path outside = outsideTheRoot("tmp/symlink-target");
        Files.createDirectories(dst.resolve("tmp/symlink-target"));
        destLink("symlink", Path.of("../tmp/symlink-target"));

        copy("/file", "/symlink/", CopyOptions.defaults());
        copy("/file", "/symlink/x", CopyOptions.defaults());

        assertThat(dst.resolve("tmp/symlink-target/file")).hasContent("x");
        assertThat(dst.resolve("tmp/symlink-target/x")).hasContent("x");
        assertThat(Files.readSymbolicLink(dst.resolve("symlink"))).isEqualTo(Path.of("../tmp/symlink-target"));
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void destThroughAClimbingLinkToAMissingDirectoryCreatesItInsideTheRoot() throws Exception {
        file("f", "x");
        Path outside = outsideTheRoot("outside");
        destLink("out", Path.of("../outside"));
        copy("/f", "/out/f", CopyOptions.defaults().withCreateDestPath(true));
        assertThat(dst.resolve("outside/f")).hasContent("x");
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void destThroughAnAbsoluteLinkIsResolvedAgainstTheRoot() throws Exception {
        file("f", "x");
        Files.createDirectories(dst.resolve("tmp/real"));
        destLink("a", Path.of("/tmp/real"));
        Path hostTarget = outsideTheRoot("abs-target");
        destLink("to-host", hostTarget.toAbsolutePath());
        copy("/f", "/a/", CopyOptions.defaults());
        copy("/f", "/to-host/f", CopyOptions.defaults().withCreateDestPath(true));
        assertThat(dst.resolve("tmp/real/f")).hasContent("x");
        assertThat(dst.resolve(hostTarget.toAbsolutePath().toString().substring(1))
                        .resolve("f"))
                .hasContent("x");
        assertThat(hostTarget).isEmptyDirectory();
    }

    @Test
    void destThatIsALinkClimbingAboveTheRootIsWrittenThroughInsideIt() throws Exception {
        file("f", "new");
        Path outside = outsideTheRoot("outside");
        Files.writeString(outside.resolve("file"), "host");
        Files.createDirectories(dst.resolve("outside"));
        destLink("link", Path.of("../../outside/file"));
        copy("/f", "/link", CopyOptions.defaults());
        assertThat(dst.resolve("outside/file")).hasContent("new");
        assertThat(outside.resolve("file")).hasContent("host");
    }

    @Test
    void symlinkPlantedInsideTheDestTreeIsNeverWrittenThrough() throws Exception {
        file("d/sub/f", "x");
        Path outside = outsideTheRoot("outside");
        destLink("d/sub", outside);
        assertThatThrownBy(() -> copy("/d", "/d", CopyOptions.defaults().withDirCopyContents(true)))
                .isInstanceOf(FsException.class)
                .hasMessage("copy /d/sub: cannot copy a directory onto an existing symlink");
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void alwaysReplaceExistingDestPathsReplacesOtherTypes() throws Exception {
        file("d/sub/f", "x");
        Files.createDirectories(dst.resolve("d"));
        Files.writeString(dst.resolve("d/sub"), "a file in the way");
        assertThatThrownBy(() -> copy("/d", "/d", CopyOptions.defaults().withDirCopyContents(true)))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("cannot copy a directory onto an existing file");
        copy("/d", "/d", CopyOptions.defaults().withDirCopyContents(true).withAlwaysReplaceExistingDestPaths(true));
        assertThat(dst.resolve("d/sub/f")).hasContent("x");
    }

    @Test
    void aFileNeverReplacesADirectory() throws Exception {
        Files.createDirectories(src.resolve("d"));
        file("d/x", "file");
        Files.createDirectories(dst.resolve("d/x/inner"));
        assertThatThrownBy(() -> copy("/d", "/d", CopyOptions.defaults().withDirCopyContents(true)))
                .isInstanceOf(FsException.class)
                .hasMessage("copy /d/x: cannot replace a directory with a file");
    }

    @Test
    void wildcardsMatchInTheLastElement() throws Exception {
        file("a.txt", "a");
        file("b.txt", "b");
        file("c.md", "c");
        copy("/*.txt", "/out/", CopyOptions.defaults().withAllowWildcard(true).withCreateDestPath(true));
        assertThat(tree(dst)).containsExactly("out", "out/a.txt", "out/b.txt");
    }

    @Test
    void wildcardsMatchInEarlierElements() throws Exception {
        file("pkg/one/go.mod", "1");
        file("pkg/two/go.mod", "2");
        file("pkg/two/other", "o");
        copy(
                "/pkg/*/go.mod",
                "/mods/",
                CopyOptions.defaults().withAllowWildcard(true).withCreateDestPath(true));
        assertThat(tree(dst)).containsExactly("mods", "mods/go.mod");
        assertThat(dst.resolve("mods/go.mod")).hasContent("2");
    }

    @Test
    void characterClassesAndQuestionMarksWork() throws Exception {
        file("f1", "1");
        file("f2", "2");
        file("f3", "3");
        copy("/f[1-2]", "/out/", CopyOptions.defaults().withAllowWildcard(true).withCreateDestPath(true));
        copy("/f?", "/all/", CopyOptions.defaults().withAllowWildcard(true).withCreateDestPath(true));
        assertThat(tree(dst.resolve("out"))).containsExactly("f1", "f2");
        assertThat(tree(dst.resolve("all"))).containsExactly("f1", "f2", "f3");
    }

    @Test
    void severalMatchesNeedADirectoryDest() throws Exception {
        file("a.txt", "a");
        file("b.txt", "b");
        assertThatThrownBy(() -> copy("/*.txt", "/out", CopyOptions.defaults().withAllowWildcard(true)))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("2 sources match")
                .hasMessageContaining("must be a directory");
        Files.createDirectory(dst.resolve("existing"));
        copy("/*.txt", "/existing", CopyOptions.defaults().withAllowWildcard(true));
        assertThat(tree(dst.resolve("existing"))).containsExactly("a.txt", "b.txt");
    }

    @Test
    void emptyWildcardIsAnErrorUnlessAllowed() throws Exception {
        assertThatThrownBy(() -> copy("/*.none", "/out/", CopyOptions.defaults().withAllowWildcard(true)))
                .isInstanceOf(FsException.class)
                .hasMessage("copy /*.none: no source files matched");
        copy("/*.none", "/out/", CopyOptions.defaults().withAllowWildcard(true).withAllowEmptyWildcard(true));
        assertThat(dst).isEmptyDirectory();
    }

    @Test
    void withoutAllowWildcardAStarIsALiteralName() throws Exception {
        file("*.txt", "literal");
        file("a.txt", "a");
        copy("/*.txt", "/out", CopyOptions.defaults());
        assertThat(dst.resolve("out")).hasContent("literal");
    }

    @Test
    void malformedWildcardIsAnErrorNamingThePattern() {
        assertThatThrownBy(() -> copy("/[a-", "/x", CopyOptions.defaults().withAllowWildcard(true)))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("copy /[a-")
                .hasMessageContaining("invalid pattern");
    }

    @Test
    void missingSourceIsAnErrorNamingIt() {
        assertThatThrownBy(() -> copy("/nope", "/x", CopyOptions.defaults()))
                .isInstanceOf(FsException.class)
                .hasMessage("copy /nope: no such file or directory");
    }

    @Test
    void createDestPathDecidesWhetherMissingParentsAreCreated() throws Exception {
        file("f", "x");
        assertThatThrownBy(() -> copy("/f", "/a/b/f", CopyOptions.defaults()))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("destination directory /a/b does not exist");
        assertThat(dst).isEmptyDirectory();
        copy("/f", "/a/b/f", CopyOptions.defaults().withCreateDestPath(true));
        assertThat(dst.resolve("a/b/f")).hasContent("x");
    }

    @Test
    void includeAndExcludePatternsFilterADirectoryCopy() throws Exception {
        file("ctx/src/main.go", "m");
        file("ctx/src/util/helper.go", "h");
        file("ctx/src/util/helper_test.go", "t");
        file("ctx/docs/index.md", "d");
        file("ctx/node_modules/x/index.js", "n");
        copy(
                "/ctx",
                "/app",
                CopyOptions.defaults()
                        .withDirCopyContents(true)
                        .withIncludePatterns(List.of("src", "docs"))
                        .withExcludePatterns(List.of("**/*_test.go", "docs/*.md")));
        assertThat(tree(dst.resolve("app")))
                .containsExactly("docs", "src", "src/main.go", "src/util", "src/util/helper.go");
    }

    @Test
    void includePatternsCreateOnlyTheParentsOfWhatMatches() throws Exception {
        file("a/b/c.txt", "c");
        file("a/x/c.txt", "other");
        file("a/b/d.txt", "d");
        copy("/", "/out", CopyOptions.defaults().withDirCopyContents(true).withIncludePatterns(List.of("a/b/c.txt")));
        assertThat(tree(dst.resolve("out"))).containsExactly("a", "a/b", "a/b/c.txt");
    }

    @Test
    void excludeExceptionsReincludeFilesInsideExcludedDirectories() throws Exception {
        file("build/keep.txt", "k");
        file("build/drop.txt", "d");
        copy(
                "/",
                "/out",
                CopyOptions.defaults()
                        .withDirCopyContents(true)
                        .withExcludePatterns(List.of("build", "!build/keep.txt")));
        assertThat(tree(dst.resolve("out"))).containsExactly("build", "build/keep.txt");
    }

    @Test
    void hardLinksWithinTheCopiedSetStayLinked() throws Exception {
        Path a = file("d/a", "shared");
        Files.createLink(src.resolve("d/b"), a);
        file("d/c", "alone");
        copy("/d", "/d", CopyOptions.defaults());
        FileStat sa = FileStat.of(dst.resolve("d/a"));
        FileStat sb = FileStat.of(dst.resolve("d/b"));
        assertThat(sa.inode()).isEqualTo(sb.inode());
        assertThat(sa.links()).isEqualTo(2);
        assertThat(FileStat.of(dst.resolve("d/c")).links()).isEqualTo(1);
        assertThat(dst.resolve("d/b")).hasContent("shared");
    }

    @Test
    void userXattrsAreCopied() throws Exception {
        Path f = file("f", "x");
        UserDefinedFileAttributeView view = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        view.write("kiln.test", ByteBuffer.wrap("value".getBytes()));
        copy("/f", "/f", CopyOptions.defaults());
        UserDefinedFileAttributeView copied =
                Files.getFileAttributeView(dst.resolve("f"), UserDefinedFileAttributeView.class);
        ByteBuffer buffer = ByteBuffer.allocate(copied.size("kiln.test"));
        copied.read("kiln.test", buffer);
        assertThat(new String(buffer.array())).isEqualTo("value");
    }

    @Test
    void fifosAreRecreatedNotRead() throws Exception {
        Files.createDirectories(src.resolve("d"));
        Process mkfifo = new ProcessBuilder("mkfifo", src.resolve("d/pipe").toString()).start();
        assertThat(mkfifo.waitFor()).isZero();
        copy("/d", "/d", CopyOptions.defaults());
        assertThat(FileStat.of(dst.resolve("d/pipe")).type()).isEqualTo(FileType.FIFO);
    }

    @Test
    void dockerfileCopyFlagsCopyDirectoryContentsAndFollowTheNamedLink() throws Exception {
        file("app/main.py", "print()");
        Files.createSymbolicLink(src.resolve("current"), Path.of("app"));
        copy("/current", "/srv", CopyOptions.dockerfileCopy());
        assertThat(tree(dst)).containsExactly("srv", "srv/main.py");
    }
}
