package dev.kiln.worker.fs;

import static dev.kiln.worker.fs.StatChecks.assertModeOwnerAndTime;
import static dev.kiln.worker.fs.TreeListing.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;
import org.apache.commons.compress.compressors.xz.XZUtils;
import org.junit.jupiter.api.Test;

/** ADD-style unpacking of tar archives made in the test with commons-compress. */
class UnpackTest extends SourceToDestination {

    private static final Instant MEMBER_TIME = Instant.parse("2019-09-09T09:09:09Z");

    @Override
    UserLookup users() {
        return UserLookup.idsOnly();
    }

    /** A tar with a directory, a file, a symlink and a hard link. */
    private static byte[] sampleTar() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            directory(tar, "app/", 0750);
            file(tar, "app/hello.txt", "hello from the archive", 0604, 1234, 5678);
            link(tar, "app/link", TarConstants.LF_SYMLINK, "hello.txt");
            link(tar, "app/hard", TarConstants.LF_LINK, "app/hello.txt");
        }
        return bytes.toByteArray();
    }

    private static void directory(TarArchiveOutputStream tar, String name, int mode) throws IOException {
        TarArchiveEntry dir = new TarArchiveEntry(name);
        dir.setMode(040000 | mode);
        dir.setModTime(FileTime.from(MEMBER_TIME));
        tar.putArchiveEntry(dir);
        tar.closeArchiveEntry();
    }

    /** A symlink ({@link TarConstants#LF_SYMLINK}) or hard link ({@link TarConstants#LF_LINK}) member. */
    private static void link(TarArchiveOutputStream tar, String name, byte type, String target) throws IOException {
        TarArchiveEntry link = new TarArchiveEntry(name, type);
        link.setLinkName(target);
        link.setModTime(FileTime.from(MEMBER_TIME));
        tar.putArchiveEntry(link);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, String content, int mode, int uid, int gid)
            throws IOException {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(data.length);
        entry.setMode(0100000 | mode);
        entry.setUserId(uid);
        entry.setGroupId(gid);
        entry.setModTime(FileTime.from(MEMBER_TIME));
        tar.putArchiveEntry(entry);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GzipCompressorOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    private void assertSampleExtractedUnder(Path dir) throws Exception {
        assertThat(tree(dir)).containsExactly("app", "app/hard", "app/hello.txt", "app/link");
        Path hello = dir.resolve("app/hello.txt");
        assertThat(hello).hasContent("hello from the archive");
        FileStat s = FileStat.of(hello);
        assertModeOwnerAndTime(s, 0604, 1234, 5678, MEMBER_TIME);
        assertThat(Files.readSymbolicLink(dir.resolve("app/link"))).isEqualTo(Path.of("hello.txt"));
        assertThat(FileStat.of(dir.resolve("app/hard")).inode()).isEqualTo(s.inode());
        FileStat app = FileStat.of(dir.resolve("app"));
        assertThat(app.permissions()).isEqualTo(0750);
        assertThat(app.modified().toInstant()).isEqualTo(MEMBER_TIME);
    }

    @Test
    void tarGzIsExtractedIntoDestWhenUnpackIsAttempted() throws Exception {
        Files.write(src.resolve("bundle.tar.gz"), gzip(sampleTar()));
        actions.copy(src, "/bundle.tar.gz", "/opt/", CopyOptions.defaults().withAttemptUnpack(true));
        assertSampleExtractedUnder(dst.resolve("opt"));
    }

    @Test
    void withoutUnpackTheArchiveIsCopiedAsAFile() throws Exception {
        byte[] archive = gzip(sampleTar());
        Files.write(src.resolve("bundle.tar.gz"), archive);
        actions.copy(src, "/bundle.tar.gz", "/opt/", CopyOptions.defaults().withCreateDestPath(true));
        assertThat(Files.readAllBytes(dst.resolve("opt/bundle.tar.gz"))).isEqualTo(archive);
    }

    @Test
    void everyArchiveAWildcardMatchesIsExtractedIntoADestWithoutSlash() throws Exception {
        Files.write(src.resolve("a.tar"), sampleTar());
        ByteArrayOutputStream other = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(other)) {
            file(tar, "other.txt", "from the second archive", 0644, 0, 0);
        }
        Files.write(src.resolve("b.tar"), gzip(other.toByteArray()));
        CopyOptions wildcard = CopyOptions.defaults().withAllowWildcard(true).withAttemptUnpack(true);

        actions.copy(src, "/*.tar", "/opt", wildcard);

        assertThat(tree(dst.resolve("opt")))
                .containsExactly("app", "app/hard", "app/hello.txt", "app/link", "other.txt");
        assertThat(dst.resolve("opt/other.txt")).hasContent("from the second archive");
    }

    @Test
    void plainFilesBesideArchivesStillNeedADirectoryDest() throws Exception {
        Files.write(src.resolve("a.tar"), sampleTar());
        Files.writeString(src.resolve("x.txt"), "x");
        Files.writeString(src.resolve("y.txt"), "y");
        CopyOptions wildcard = CopyOptions.defaults().withAllowWildcard(true).withAttemptUnpack(true);

        assertThatThrownBy(() -> actions.copy(src, "/[xy].txt", "/out", wildcard))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("must be a directory");
        // an archive unpacked first has made the destination a directory by the time the plain files are copied
        actions.copy(src, "/*", "/mixed", wildcard);
        assertThat(tree(dst.resolve("mixed")))
                .containsExactly("app", "app/hard", "app/hello.txt", "app/link", "x.txt", "y.txt");
    }

    @Test
    void plainTarAndBzip2AreExtractedToo() throws Exception {
        Files.write(src.resolve("plain.tar"), sampleTar());
        ByteArrayOutputStream bz = new ByteArrayOutputStream();
        try (OutputStream out = new BZip2CompressorOutputStream(bz)) {
            out.write(sampleTar());
        }
        Files.write(src.resolve("packed.tar.bz2"), bz.toByteArray());
        actions.copy(src, "/plain.tar", "/p", CopyOptions.defaults().withAttemptUnpack(true));
        actions.copy(src, "/packed.tar.bz2", "/b", CopyOptions.defaults().withAttemptUnpack(true));
        assertSampleExtractedUnder(dst.resolve("p"));
        assertSampleExtractedUnder(dst.resolve("b"));
    }

    @Test
    void xzIsExtractedWhenTheXzCodecIsPresent() throws Exception {
        assumeTrue(XZUtils.isXZCompressionAvailable(), "org.tukaani:xz is not on the test class path");
        ByteArrayOutputStream xz = new ByteArrayOutputStream();
        try (OutputStream out = new XZCompressorOutputStream(xz)) {
            out.write(sampleTar());
        }
        Files.write(src.resolve("packed.tar.xz"), xz.toByteArray());
        actions.copy(src, "/packed.tar.xz", "/x", CopyOptions.defaults().withAttemptUnpack(true));
        assertSampleExtractedUnder(dst.resolve("x"));
    }

    @Test
    void ownerOverrideAppliesToEveryMember() throws Exception {
        Files.write(src.resolve("bundle.tgz"), gzip(sampleTar()));
        actions.copy(
                src,
                "/bundle.tgz",
                "/opt",
                CopyOptions.defaults().withAttemptUnpack(true).withOwner(new Owner(77, 88)));
        assertOwnedBy(77, 88, "opt/app", "opt/app/hello.txt", "opt/app/link");
    }

    @Test
    void aFileThatIsNotAnArchiveIsCopiedEvenWithUnpack() throws Exception {
        Files.writeString(src.resolve("notes.tar.gz"), "just text");
        actions.copy(
                src, "/notes.tar.gz", "/notes.tar.gz", CopyOptions.defaults().withAttemptUnpack(true));
        assertThat(dst.resolve("notes.tar.gz")).hasContent("just text");
    }

    @Test
    void memberClimbingOutOfDestIsRejected() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            file(tar, "ok.txt", "fine", 0644, 0, 0);
            file(tar, "../evil.txt", "gotcha", 0644, 0, 0);
        }
        Files.write(src.resolve("evil.tar"), bytes.toByteArray());
        Files.createDirectories(dst.resolve("opt"));
        assertThatThrownBy(() -> actions.copy(
                        src, "/evil.tar", "/opt", CopyOptions.defaults().withAttemptUnpack(true)))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("copy /evil.tar")
                .hasMessageContaining("archive member ../evil.txt points outside the destination");
        assertThat(dst.resolve("evil.txt")).doesNotExist();
        assertThat(tmp.resolve("evil.txt")).doesNotExist();
    }

    @Test
    void absoluteMemberNamesStayInsideDest() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            file(tar, "/etc/config", "inside", 0644, 0, 0);
        }
        Files.write(src.resolve("abs.tar"), bytes.toByteArray());
        actions.copy(src, "/abs.tar", "/opt", CopyOptions.defaults().withAttemptUnpack(true));
        assertThat(dst.resolve("opt/etc/config")).hasContent("inside");
    }

    @Test
    void symlinkMemberCannotRedirectLaterMembersOutOfDest() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            link(tar, "up", TarConstants.LF_SYMLINK, "../../outside");
            file(tar, "up/planted", "gotcha", 0644, 0, 0);
        }
        Files.write(src.resolve("redirect.tar"), bytes.toByteArray());
        assertThatThrownBy(() -> actions.copy(
                        src, "/redirect.tar", "/opt", CopyOptions.defaults().withAttemptUnpack(true)))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("archive member /up (symlink to ../../outside) points outside the destination");
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void hardLinkToOutsideDestIsRejected() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            link(tar, "stolen", TarConstants.LF_LINK, "../../../etc/shadow");
        }
        Files.write(src.resolve("hard.tar"), bytes.toByteArray());
        assertThatThrownBy(() -> actions.copy(
                        src, "/hard.tar", "/opt", CopyOptions.defaults().withAttemptUnpack(true)))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("points outside the destination");
        assertThat(Files.exists(dst.resolve("opt/stolen"), LinkOption.NOFOLLOW_LINKS))
                .isFalse();
    }
}
