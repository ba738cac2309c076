package dev.kiln.worker.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentChecksumTest {

    @TempDir
    Path tmp;

    private Path root;
    private ChecksumIndex index;
    private ContentChecksum checksums;

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectory(tmp.resolve("root"));
        index = ChecksumIndex.open(tmp.resolve("index/checksums.bin"));
        checksums = new ContentChecksum(index);
    }

    private Path write(Path base, String rel, String content) throws Exception {
        Path p = base.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        return p;
    }

    /** Files younger than the index's racy window are hashed but not remembered; age them first. */
    private static void letTimestampsSettle() throws InterruptedException {
        Thread.sleep(120);
    }

    @Test
    void digestLooksLikeSha256() throws Exception {
        write(root, "f", "x");
        assertThat(checksums.checksum(root, "/f")).matches("sha256:[0-9a-f]{64}");
    }

    @Test
    void sameContentElsewhereWithOtherMtimesHasTheSameDigest() throws Exception {
        write(root, "app/a.txt", "alpha");
        write(root, "app/sub/b.txt", "beta");
        Path other = Files.createDirectory(tmp.resolve("other"));
        write(other, "deep/copy/a.txt", "alpha");
        write(other, "deep/copy/sub/b.txt", "beta");
        Files.setLastModifiedTime(
                other.resolve("deep/copy/a.txt"), FileTime.from(Instant.parse("1999-01-01T00:00:00Z")));
        Files.setLastModifiedTime(other.resolve("deep/copy/sub"), FileTime.from(Instant.parse("1999-01-01T00:00:00Z")));
        assertThat(checksums.checksum(other, "/deep/copy")).isEqualTo(checksums.checksum(root, "/app"));
        assertThat(checksums.checksum(other, "/deep/copy/a.txt")).isEqualTo(checksums.checksum(root, "/app/a.txt"));
    }

    @Test
    void oneChangedByteChangesTheDigest() throws Exception {
        write(root, "app/a.txt", "alpha");
        String before = checksums.checksum(root, "/app");
        write(root, "app/a.txt", "alphA");
        assertThat(checksums.checksum(root, "/app")).isNotEqualTo(before);
    }

    @Test
    void modeOwnerNamesAndLinkTargetsCount() throws Exception {
        write(root, "app/a", "x");
        Files.createSymbolicLink(root.resolve("app/l"), Path.of("a"));
        String base = checksums.checksum(root, "/app");

        Files.setAttribute(root.resolve("app/a"), "unix:mode", 0700);
        String mode = checksums.checksum(root, "/app");
        assertThat(mode).isNotEqualTo(base);

        Files.setAttribute(root.resolve("app/a"), "unix:uid", 999);
        String owner = checksums.checksum(root, "/app");
        assertThat(owner).isNotEqualTo(mode);

        Files.delete(root.resolve("app/l"));
        Files.createSymbolicLink(root.resolve("app/l"), Path.of("elsewhere"));
        String link = checksums.checksum(root, "/app");
        assertThat(link).isNotEqualTo(owner);

        Files.move(root.resolve("app/a"), root.resolve("app/renamed"));
        assertThat(checksums.checksum(root, "/app")).isNotEqualTo(link);
    }

    @Test
    void theIndexServesUnchangedFilesWithoutReadingThem() throws Exception {
        for (int i = 0; i < 10; i++) {
            write(root, "tree/f" + i, "content " + i);
        }
        letTimestampsSettle();
        String first = checksums.checksum(root, "/tree");
        ChecksumIndex.Stats afterFirst = index.stats();
        assertThat(afterFirst.misses()).isEqualTo(10);

        String second = checksums.checksum(root, "/tree");
        ChecksumIndex.Stats afterSecond = index.stats();
        assertThat(second).isEqualTo(first);
        assertThat(afterSecond.misses()).isEqualTo(10);
        assertThat(afterSecond.hits()).isEqualTo(10);

        write(root, "tree/f4", "changed!!");
        checksums.checksum(root, "/tree");
        assertThat(index.stats().misses()).isEqualTo(11);
    }

    @Test
    void theIndexPersistsAcrossProcessesAndACorruptFileIsDiscarded() throws Exception {
        write(root, "a", "a");
        write(root, "b", "b");
        letTimestampsSettle();
        String digest = checksums.checksum(root, "/");
        index.save();

        ChecksumIndex reopened = ChecksumIndex.open(tmp.resolve("index/checksums.bin"));
        assertThat(reopened.discarded()).isEmpty();
        assertThat(new ContentChecksum(reopened).checksum(root, "/")).isEqualTo(digest);
        assertThat(reopened.stats().misses()).isZero();
        assertThat(reopened.stats().hits()).isEqualTo(2);

        byte[] bytes = Files.readAllBytes(tmp.resolve("index/checksums.bin"));
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(tmp.resolve("index/checksums.bin"), bytes);
        ChecksumIndex corrupt = ChecksumIndex.open(tmp.resolve("index/checksums.bin"));
        assertThat(corrupt.discarded())
                .hasValueSatisfying(why -> assertThat(why).contains("corrupt"));
        assertThat(new ContentChecksum(corrupt).checksum(root, "/")).isEqualTo(digest);
        assertThat(corrupt.stats().misses()).isEqualTo(2);

        Files.writeString(tmp.resolve("index/checksums.bin"), "garbage");
        assertThat(ChecksumIndex.open(tmp.resolve("index/checksums.bin")).discarded())
                .isPresent();
    }

    @Test
    void saveLeavesNoTemporaryFilesBehind() throws Exception {
        write(root, "a", "a");
        letTimestampsSettle();
        checksums.checksum(root, "/");
        index.save();
        try (var files = Files.list(tmp.resolve("index"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("checksums.bin");
        }
    }

    @Test
    void freshlyWrittenFilesAreNotTrustedFromTheIndex() throws Exception {
        write(root, "hot", "v1");
        checksums.checksum(root, "/hot");
        checksums.checksum(root, "/hot");
        assertThat(index.stats().hits()).isZero();
    }

    @Test
    void includeAndExcludePatternsFilterTheTree() throws Exception {
        write(root, "app/src/main.go", "m");
        write(root, "app/README", "r");
        ChecksumSelector onlySrc = new ChecksumSelector("/app", true, false, List.of("src"), List.of());
        String before = checksums.checksum(root, onlySrc);
        write(root, "app/README", "changed");
        assertThat(checksums.checksum(root, onlySrc)).isEqualTo(before);
        write(root, "app/src/main.go", "changed");
        assertThat(checksums.checksum(root, onlySrc)).isNotEqualTo(before);

        ChecksumSelector noReadme = ChecksumSelector.of("/app").withExcludePatterns(List.of("README"));
        String excluded = checksums.checksum(root, noReadme);
        write(root, "app/README", "again");
        assertThat(checksums.checksum(root, noReadme)).isEqualTo(excluded);
    }

    @Test
    void followingTheFinalSymlinkChecksumsItsTarget() throws Exception {
        write(root, "real/f", "x");
        Files.createSymbolicLink(root.resolve("link"), Path.of("real"));
        ChecksumSelector followed = ChecksumSelector.of("/link");
        ChecksumSelector kept = ChecksumSelector.of("/link").withFollowSymlink(false);
        assertThat(checksums.checksum(root, followed)).isEqualTo(checksums.checksum(root, "/real"));
        assertThat(checksums.checksum(root, kept)).isNotEqualTo(checksums.checksum(root, "/real"));
    }

    @Test
    void selectorsCombineAndWildcardsExpand() throws Exception {
        write(root, "a.txt", "a");
        write(root, "b.txt", "b");
        write(root, "c.md", "c");
        String one = checksums.checksum(root, List.of("/a.txt"));
        assertThat(one).isEqualTo(checksums.checksum(root, "/a.txt"));
        String two = checksums.checksum(root, List.of("/a.txt", "/b.txt"));
        assertThat(two).isNotEqualTo(one);
        String wildcard = checksums.checksum(root, List.of("/*.txt"));
        write(root, "c.md", "changed");
        assertThat(checksums.checksum(root, List.of("/*.txt"))).isEqualTo(wildcard);
        write(root, "d.txt", "d");
        assertThat(checksums.checksum(root, List.of("/*.txt"))).isNotEqualTo(wildcard);
        assertThat(checksums.checksum(root, List.of("/*.none"))).matches("sha256:[0-9a-f]{64}");
    }

    @Test
    void missingPathsAreClearErrors() throws Exception {
        assertThatThrownBy(() -> checksums.checksum(root, "/nope"))
                .isInstanceOf(FsException.class)
                .hasMessage("checksum /nope: no such file or directory");
    }

    @Test
    void symlinksClimbingAboveTheRootAreFollowedInsideIt() throws Exception {
        write(root, "etc/hosts", "inside");
        Files.createSymbolicLink(root.resolve("out"), Path.of("../../.."));
        assertThat(checksums.checksum(root, "/out/etc")).isEqualTo(checksums.checksum(root, "/etc"));
    }
}
