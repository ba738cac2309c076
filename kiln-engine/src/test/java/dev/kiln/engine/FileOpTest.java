package dev.kiln.engine;

import static dev.kiln.engine.ExportedFiles.bytes;
import static dev.kiln.engine.ExportedFiles.imageOwner;
import static dev.kiln.engine.ExportedFiles.listing;
import static dev.kiln.engine.ExportedFiles.mode;
import static dev.kiln.engine.ExportedFiles.mtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.llb.CopyOption;
import dev.kiln.llb.CreatedAt;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.MkdirOption;
import dev.kiln.llb.Owner;
import dev.kiln.llb.RmOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every FileOp action and option, solved by the engine and checked in the exported directory. */
class FileOpTest {

    private static final Instant WHEN = Instant.parse("2021-03-04T05:06:07Z");

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    static State context;

    @BeforeAll
    static void open() throws Exception {
        Path dir = kiln.context("files");
        Files.writeString(dir.resolve("file.txt"), "file\n");
        Files.createDirectories(dir.resolve("dir/sub"));
        Files.writeString(dir.resolve("dir/one.txt"), "one\n");
        Files.writeString(dir.resolve("dir/sub/two.txt"), "two\n");
        Files.writeString(dir.resolve("dir/skip.md"), "skip\n");
        Files.createSymbolicLink(dir.resolve("link"), Path.of("file.txt"));
        Files.createSymbolicLink(dir.resolve("dangling"), Path.of("no-such-target"));
        Files.createSymbolicLink(dir.resolve("absolute-link"), Path.of("/etc/hostname"));
        Files.createSymbolicLink(dir.resolve("climbing-link"), Path.of("../../../../../../.."));
        Files.writeString(dir.resolve("data-1.log"), "log 1\n");
        Files.writeString(dir.resolve("data-2.log"), "log 2\n");
        Files.writeString(dir.resolve("notes.md"), "notes\n");
        writeTarGz(dir.resolve("archive.tar.gz"));
        context = State.local("files");
    }

    private static State base() {
        return EngineFixture.base();
    }

    // mkdir

    @Test
    void mkdirCreatesDirectoryWithModeOwnerAndTimestamp() throws Exception {
        Path out = kiln.build(base().file(FileAction.mkdir("/made", 0750, Owner.ids(1234, 5678), CreatedAt.of(WHEN))));

        assertThat(out.resolve("made")).isDirectory();
        assertThat(mode(out.resolve("made"))).isEqualTo(0750);
        assertThat(imageOwner(out, "made")).isEqualTo("1234:5678");
        assertThat(mtime(out.resolve("made"))).isEqualTo(WHEN);
    }

    @Test
    void mkdirWithMakeParentsCreatesTheWholePath() throws Exception {
        Path out = kiln.build(base().file(FileAction.mkdir("/p/q/r", 0700, MkdirOption.makeParents())));

        assertThat(out.resolve("p/q/r")).isDirectory();
        assertThat(mode(out.resolve("p/q/r"))).isEqualTo(0700);
    }

    @Test
    void mkdirWithoutMakeParentsFailsOnAMissingParent() {
        assertThatThrownBy(() -> kiln.build(base().file(FileAction.mkdir("/missing/child", 0755))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("/missing/child")
                .hasMessageContaining("does not exist");
    }

    @Test
    void mkdirOwnerByNameComesFromTheRootfsPasswdAndGroup() throws Exception {
        Path out = kiln.build(base().file(FileAction.mkdir("/named", 0755, Owner.parse("user:staff"))
                .mkdir("/primary", 0755, Owner.parse("user"))));

        assertThat(imageOwner(out, "named")).isEqualTo("1000:50");
        assertThat(imageOwner(out, "primary")).isEqualTo("1000:1000");
    }

    @Test
    void ownerNameMissingFromTheRootfsIsAnErrorNamingIt() {
        assertThatThrownBy(() -> kiln.build(base().file(FileAction.mkdir("/x", 0755, Owner.parse("nosuchuser")))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("nosuchuser");
    }

    // mkfile

    @Test
    void mkfileWritesDataWithModeOwnerAndTimestamp() throws Exception {
        Path out = kiln.build(base().file(FileAction.mkfile(
                "/etc/app.conf", 0640, bytes("key=value\n"), Owner.parse("user:staff"), CreatedAt.of(WHEN))));

        Path file = out.resolve("etc/app.conf");
        assertThat(Files.readString(file)).isEqualTo("key=value\n");
        assertThat(mode(file)).isEqualTo(0640);
        assertThat(imageOwner(out, "etc/app.conf")).isEqualTo("1000:50");
        assertThat(mtime(file)).isEqualTo(WHEN);
    }

    @Test
    void mkfileReplacesAnExistingFile() throws Exception {
        Path out = kiln.build(base().file(FileAction.mkfile("/etc/group", 0644, bytes("replaced\n"))));

        assertThat(Files.readString(out.resolve("etc/group"))).isEqualTo("replaced\n");
    }

    // rm

    @Test
    void rmRemovesFileAndDirectory() throws Exception {
        Path out = kiln.build(base().file(FileAction.rm("/etc/group").rm("/home")));

        assertThat(out.resolve("etc/group")).doesNotExist();
        assertThat(out.resolve("home")).doesNotExist();
        assertThat(out.resolve("etc/passwd")).exists();
    }

    @Test
    void rmOfAMissingPathFailsUnlessAllowed() throws Exception {
        assertThatThrownBy(() -> kiln.build(base().file(FileAction.rm("/not-there"))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("/not-there")
                .hasMessageContaining("no such file or directory");

        Path out = kiln.build(base().file(FileAction.rm("/not-there", RmOption.allowNotFound())));
        assertThat(out.resolve("etc/passwd")).exists();
    }

    @Test
    void rmWithWildcardRemovesEveryMatch() throws Exception {
        Path out = kiln.build(base().file(FileAction.mkdir("/w", 0755)
                .mkfile("/w/x1", 0644, bytes("1"))
                .mkfile("/w/x2", 0644, bytes("2"))
                .mkfile("/w/y", 0644, bytes("y"))
                .rm("/w/x*", RmOption.allowWildcard())));

        assertThat(listing(out.resolve("w"))).containsExactly("y");
    }

    // symlink

    @Test
    void symlinkIsCreatedWithItsTargetVerbatim() throws Exception {
        Path out = kiln.build(base().file(FileAction.symlink("../etc/passwd", "/home/passwd-link")
                .symlink("/does/not/exist", "/dangling", Owner.ids(7, 8), CreatedAt.of(WHEN))));

        assertThat(Files.readSymbolicLink(out.resolve("home/passwd-link"))).isEqualTo(Path.of("../etc/passwd"));
        assertThat(Files.readString(out.resolve("home/passwd-link"))).contains("user:x:1000");
        assertThat(Files.readSymbolicLink(out.resolve("dangling"))).isEqualTo(Path.of("/does/not/exist"));
        assertThat(imageOwner(out, "dangling")).isEqualTo("7:8");
        assertThat(mtime(out.resolve("dangling"))).isEqualTo(WHEN);
    }

    // copy

    @Test
    void aRunStepWritingCopiedFilesChangesNeitherTheCopiedLayerNorTheContext() throws Exception {
        Path dir = kiln.context("shared");
        Path kept = Files.writeString(dir.resolve("kept.txt"), "kept\n");
        Files.setPosixFilePermissions(kept, PosixFilePermissions.fromString("rw-r-----"));
        State copied = base().file(FileAction.copy(State.local("shared"), "/", "/ctx"));

        Path changed = kiln.build(copied.run(RunOption.sh("echo changed >> /ctx/kept.txt; chmod 600 /ctx/kept.txt"))
                .root());
        Path again = kiln.build(copied);
        Path copiedAgain = kiln.build(base().file(FileAction.copy(State.local("shared"), "/", "/other")));

        assertThat(Files.readString(changed.resolve("ctx/kept.txt"))).isEqualTo("kept\nchanged\n");
        assertThat(mode(changed.resolve("ctx/kept.txt"))).isEqualTo(0600);
        assertThat(Files.readString(again.resolve("ctx/kept.txt"))).isEqualTo("kept\n");
        assertThat(mode(again.resolve("ctx/kept.txt"))).isEqualTo(0640);
        assertThat(Files.readString(copiedAgain.resolve("other/kept.txt"))).isEqualTo("kept\n");
        assertThat(mode(copiedAgain.resolve("other/kept.txt"))).isEqualTo(0640);
        assertThat(Files.readString(kept)).isEqualTo("kept\n");
        assertThat(mode(kept)).isEqualTo(0640);
    }

    @Test
    void copyKeepsASymlinkUnlessToldToFollowIt() throws Exception {
        Path out = kiln.build(base().file(FileAction.copy(context, "link", "/kept-link")
                .copy(context, "link", "/followed", CopyOption.followSymlinks())));

        assertThat(Files.readSymbolicLink(out.resolve("kept-link"))).isEqualTo(Path.of("file.txt"));
        assertThat(out.resolve("followed")).isRegularFile();
        assertThat(Files.isSymbolicLink(out.resolve("followed"))).isFalse();
        assertThat(Files.readString(out.resolve("followed"))).isEqualTo("file\n");
    }

    @Test
    void copyOfASymlinkWithoutFollowCopiesTheLinkWhereverItPoints() throws Exception {
        Path out = kiln.build(base().file(FileAction.mkdir("/links", 0755)
                .copy(context, "dangling", "/links/")
                .copy(context, "absolute-link", "/links/")
                .copy(context, "climbing-link", "/links/")));

        assertThat(Files.readSymbolicLink(out.resolve("links/dangling"))).isEqualTo(Path.of("no-such-target"));
        assertThat(Files.readSymbolicLink(out.resolve("links/absolute-link"))).isEqualTo(Path.of("/etc/hostname"));
        assertThat(Files.readSymbolicLink(out.resolve("links/climbing-link")))
                .isEqualTo(Path.of("../../../../../../.."));
    }

    @Test
    void wildcardCopyTakesDanglingSymlinksAsLinks() throws Exception {
        Path out = kiln.build(base().file(FileAction.copy(
                context, "dang*", "/wild/", CopyOption.allowWildcard(), CopyOption.createDestPath())));

        assertThat(Files.readSymbolicLink(out.resolve("wild/dangling"))).isEqualTo(Path.of("no-such-target"));
    }

    @Test
    void copyOfADirectoryIntoAnExistingDirectoryNestsItUnlessContentsOnly() throws Exception {
        Path out = kiln.build(base().file(FileAction.mkdir("/nested", 0755)
                .mkdir("/flat", 0755)
                .copy(context, "dir", "/nested")
                .copy(context, "dir", "/flat", CopyOption.dirContentsOnly())
                .copy(context, "dir", "/fresh")));

        assertThat(Files.readString(out.resolve("nested/dir/one.txt"))).isEqualTo("one\n");
        assertThat(Files.readString(out.resolve("flat/one.txt"))).isEqualTo("one\n");
        assertThat(Files.readString(out.resolve("flat/sub/two.txt"))).isEqualTo("two\n");
        assertThat(out.resolve("flat/dir")).doesNotExist();
        assertThat(Files.readString(out.resolve("fresh/sub/two.txt"))).isEqualTo("two\n");
    }

    @Test
    void copyWithWildcardCopiesEveryMatch() throws Exception {
        Path out = kiln.build(base().file(FileAction.copy(
                context, "data-*.log", "/logs/", CopyOption.allowWildcard(), CopyOption.createDestPath())));

        assertThat(listing(out.resolve("logs"))).containsExactly("data-1.log", "data-2.log");
        assertThat(Files.readString(out.resolve("logs/data-2.log"))).isEqualTo("log 2\n");
    }

    @Test
    void wildcardMatchingNothingFailsUnlessEmptyIsAllowed() throws Exception {
        assertThatThrownBy(() -> kiln.build(base().file(FileAction.copy(
                        context, "nothing-*", "/none/", CopyOption.allowWildcard(), CopyOption.createDestPath()))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("nothing-*")
                .hasMessageContaining("no source files matched");

        Path out = kiln.build(base().file(FileAction.copy(
                context,
                "nothing-*",
                "/none/",
                CopyOption.allowWildcard(),
                CopyOption.allowEmptyWildcard(),
                CopyOption.createDestPath())));
        assertThat(out.resolve("none/nothing-1")).doesNotExist();
    }

    @Test
    void copyOfAMissingPathNamesItEvenWhenWildcardsAreAllowed() {
        assertThatThrownBy(() -> kiln.build(base().file(FileAction.copy(
                        context, "missing.txt", "/x", CopyOption.allowWildcard(), CopyOption.allowEmptyWildcard()))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("/missing.txt")
                .hasMessageContaining("no such file or directory");
    }

    @Test
    void copyToAMissingDirectoryNeedsCreateDestPath() throws Exception {
        assertThatThrownBy(() -> kiln.build(base().file(FileAction.copy(context, "file.txt", "/deep/er/file.txt"))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("/deep/er")
                .hasMessageContaining("does not exist");

        Path out = kiln.build(
                base().file(FileAction.copy(context, "file.txt", "/deep/er/file.txt", CopyOption.createDestPath())));
        assertThat(Files.readString(out.resolve("deep/er/file.txt"))).isEqualTo("file\n");
    }

    @Test
    void copyIncludeAndExcludePatternsSelectWhatIsCopied() throws Exception {
        Path out = kiln.build(base().file(FileAction.copy(
                context, "dir", "/filtered", CopyOption.include("*.txt", "sub"), CopyOption.exclude("sub/two.txt"))));

        assertThat(out.resolve("filtered/one.txt")).isRegularFile();
        assertThat(out.resolve("filtered/skip.md")).doesNotExist();
        assertThat(out.resolve("filtered/sub/two.txt")).doesNotExist();
    }

    @Test
    void copyWithModeOwnerAndTimestampAppliesThemToEverythingCopied() throws Exception {
        Path out = kiln.build(base().file(FileAction.copy(
                context, "dir", "/owned", CopyOption.mode(0700), Owner.ids(4321, 8765), CreatedAt.of(WHEN))));

        for (String path : new String[] {"owned/one.txt", "owned/sub/two.txt", "owned/sub"}) {
            assertThat(mode(out.resolve(path))).as(path).isEqualTo(0700);
            assertThat(imageOwner(out, path)).as(path).isEqualTo("4321:8765");
            assertThat(mtime(out.resolve(path))).as(path).isEqualTo(WHEN);
        }
    }

    @Test
    void copyWithASymbolicModeChangesEachEntryFromItsSourceMode() throws Exception {
        State tree = base().file(FileAction.mkdir("/tree", 0750)
                .mkfile("/tree/tool", 0700, bytes("#!/bin/sh\n"))
                .mkfile("/tree/notes", 0640, bytes("notes\n")));
        Path out = kiln.build(base().file(FileAction.copy(tree, "/tree", "/copied", CopyOption.mode("a+rX,go-w"))));

        assertThat(mode(out.resolve("copied"))).isEqualTo(0755);
        assertThat(mode(out.resolve("copied/tool"))).isEqualTo(0755);
        assertThat(mode(out.resolve("copied/notes"))).isEqualTo(0644);
    }

    @Test
    void copyWithAMalformedSymbolicModeFailsNamingIt() {
        assertThatThrownBy(() ->
                        kiln.build(base().file(FileAction.copy(context, "file.txt", "/f", CopyOption.mode("u+y")))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("invalid mode \"u+y\"");
    }

    @Test
    void copyOwnerByNameComesFromTheDestinationRootfs() throws Exception {
        Path out = kiln.build(
                base().file(FileAction.copy(context, "file.txt", "/home/user/file.txt", Owner.parse("user"))));

        assertThat(imageOwner(out, "home/user/file.txt")).isEqualTo("1000:1000");
    }

    @Test
    void copyKeepsSourceModesWithoutAModeOption() throws Exception {
        Path out = kiln.build(base().file(FileAction.mkfile("/script", 0751, bytes("#!/bin/sh\n")))
                .file(FileAction.copy(
                        base().file(FileAction.mkfile("/script", 0751, bytes("#!/bin/sh\n"))),
                        "/script",
                        "/copied-script")));

        assertThat(mode(out.resolve("copied-script"))).isEqualTo(0751);
    }

    @Test
    void copyWithAttemptUnpackExtractsATarGz() throws Exception {
        Path out = kiln.build(base().file(FileAction.copy(
                        context,
                        "archive.tar.gz",
                        "/unpacked/",
                        CopyOption.attemptUnpack(),
                        CopyOption.createDestPath())
                .copy(context, "archive.tar.gz", "/packed/", CopyOption.createDestPath())));

        assertThat(Files.readString(out.resolve("unpacked/packed/hello.txt"))).isEqualTo("hello from the archive\n");
        assertThat(mode(out.resolve("unpacked/packed/hello.txt"))).isEqualTo(0604);
        assertThat(out.resolve("packed/archive.tar.gz")).isRegularFile();
    }

    @Test
    void relativePathsAreTakenFromTheWorkingDirectoriesOfTheirStates() throws Exception {
        State source = base().dir("/etc");
        Path out = kiln.build(base().dir("/home/user")
                .file(FileAction.mkfile("notes.txt", 0644, bytes("notes\n"))
                        .copy(source, "group", "group-copy")
                        .mkdir("sub", 0755)));

        assertThat(Files.readString(out.resolve("home/user/notes.txt"))).isEqualTo("notes\n");
        assertThat(Files.readString(out.resolve("home/user/group-copy"))).contains("staff:x:50:user");
        assertThat(out.resolve("home/user/sub")).isDirectory();
    }

    @Test
    void actionsInOneOpSeeEachOthersResults() throws Exception {
        Path out = kiln.build(base().file(FileAction.mkdir("/chain", 0755)
                .mkfile("/chain/a", 0644, bytes("a"))
                .copy(base().file(FileAction.mkfile("/b", 0644, bytes("b"))), "/b", "/chain/b")
                .rm("/chain/a")));

        assertThat(listing(out.resolve("chain"))).containsExactly("b");
    }

    private static void writeTarGz(Path target) throws IOException {
        try (OutputStream file = Files.newOutputStream(target);
                GZIPOutputStream gzip = new GZIPOutputStream(file);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
            TarArchiveEntry dir = new TarArchiveEntry("packed/");
            dir.setMode(040755);
            tar.putArchiveEntry(dir);
            tar.closeArchiveEntry();
            byte[] data = bytes("hello from the archive\n");
            TarArchiveEntry entry = new TarArchiveEntry("packed/hello.txt");
            entry.setMode(0100604);
            entry.setSize(data.length);
            tar.putArchiveEntry(entry);
            tar.write(data);
            tar.closeArchiveEntry();
        }
    }
}
