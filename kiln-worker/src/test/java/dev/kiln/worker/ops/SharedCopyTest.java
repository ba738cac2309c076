package dev.kiln.worker.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.Xattrs;
import dev.kiln.worker.fs.ChecksumIndex;
import dev.kiln.worker.fs.ContentChecksum;
import dev.kiln.worker.fs.CopyOptions;
import dev.kiln.worker.fs.FileActions;
import dev.kiln.worker.fs.Owner;
import dev.kiln.worker.fs.UserLookup;
import dev.kiln.worker.snapshot.ActiveSnapshot;
import dev.kiln.worker.snapshot.Mounted;
import dev.kiln.worker.snapshot.OverlaySnapshotter;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import dev.kiln.worker.sys.Mounts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A copy out of committed overlay layers gives unchanged files hard links to the layers' inodes instead of copies
 * (issue 13's W3), and the result is the same as a copy: content, mode, owner, times, xattrs and hard-link pairs.
 * Nothing written later, in a step above the copy, reaches the shared inodes.
 */
class SharedCopyTest {

    private static final FileTime WHEN = FileTime.from(Instant.parse("2021-03-04T05:06:07.123456789Z"));
    private static final FileTime DIR_WHEN = FileTime.from(Instant.parse("2020-01-02T03:04:05.5Z"));

    @TempDir
    Path dir;

    OverlaySnapshotter snapshotter;
    Snapshot source;
    Snapshot base;

    @BeforeEach
    void open() throws IOException {
        snapshotter = OverlaySnapshotter.open(dir.resolve("state"));
        source = commit(Snapshot.SCRATCH, root -> {
            Files.createDirectories(root.resolve("src/sub"));
            Path src = root.resolve("src");
            Path a = Files.writeString(src.resolve("a.txt"), "a\n");
            Files.createLink(src.resolve("a-link"), a);
            Files.writeString(src.resolve("sub/b.txt"), "b\n");
            PosixFiles.lchown(a, 1234, 5678);
            PosixFiles.chmod(a, 0640);
            Xattrs.set(a, "user.kiln", "x".getBytes(StandardCharsets.UTF_8));
            PosixFiles.setTimes(a, WHEN, WHEN);
            PosixFiles.setTimes(src.resolve("sub/b.txt"), WHEN, WHEN);
            PosixFiles.setTimes(src.resolve("sub"), DIR_WHEN, DIR_WHEN);
        });
        base = commit(Snapshot.SCRATCH, root -> {
            Files.createDirectories(root.resolve("ctx"));
            Files.writeString(root.resolve("ctx/a.txt"), "older a\n");
            Files.createDirectories(root.resolve("etc"));
        });
    }

    @AfterEach
    void close() throws IOException {
        snapshotter.close();
        assertThat(Mounts.mountPointsUnder(dir)).isEmpty();
    }

    interface Writes {
        void apply(Path root) throws IOException;
    }

    private Snapshot commit(Snapshot parent, Writes writes) throws IOException {
        try (ActiveSnapshot active = snapshotter.prepare(parent)) {
            writes.apply(active.mount());
            return active.commit();
        }
    }

    private Snapshot copy(String src, String dest, CopyOptions options) throws IOException {
        try (ActiveSnapshot active = snapshotter.prepare(base)) {
            try (Mounted view = snapshotter.mountReadOnly(source)) {
                new FileActions(active.mount(), UserLookup.idsOnly())
                        .copy(view.path(), src, dest, options, FileOperation.shared(view, active));
            }
            return active.commit();
        }
    }

    private Path layerFile(Snapshot snapshot, String path) {
        return snapshotter.layerPath(snapshot.layers().getLast()).resolve(path);
    }

    private static Object attribute(Path path, String name) throws IOException {
        return Files.getAttribute(path, "unix:" + name, LinkOption.NOFOLLOW_LINKS);
    }

    /** What a user sees of a file: content, mode, owner, mtime and the xattr. */
    private static String described(Path file) throws IOException {
        return Files.readString(file) + " mode " + Integer.toOctalString((int) attribute(file, "mode") & 07777)
                + " owner " + attribute(file, "uid") + ":" + attribute(file, "gid")
                + " mtime " + attribute(file, "lastModifiedTime")
                + " xattr "
                + Xattrs.get(file, "user.kiln")
                        .map(v -> new String(v, StandardCharsets.UTF_8))
                        .orElse("-");
    }

    @Test
    void copyOfUnchangedFilesSharesTheLayersInodesAndKeepsEveryAttribute() throws Exception {
        Snapshot copied = copy("/src", "/ctx/src", CopyOptions.defaults());

        Path original = layerFile(source, "src/a.txt");
        Path linked = layerFile(copied, "ctx/src/a.txt");
        assertThat(attribute(linked, "ino")).isEqualTo(attribute(original, "ino"));
        assertThat(attribute(layerFile(copied, "ctx/src/a-link"), "ino")).isEqualTo(attribute(original, "ino"));
        assertThat(attribute(layerFile(copied, "ctx/src/sub/b.txt"), "ino"))
                .isEqualTo(attribute(layerFile(source, "src/sub/b.txt"), "ino"));
        try (Mounted view = snapshotter.mountReadOnly(copied)) {
            Path a = view.path().resolve("ctx/src/a.txt");
            assertThat(described(a)).isEqualTo("a\n mode 640 owner 1234:5678 mtime " + WHEN + " xattr x");
            assertThat(described(view.path().resolve("ctx/src/sub/b.txt")))
                    .isEqualTo(described(original.resolveSibling("sub/b.txt")));
            assertThat(attribute(view.path().resolve("ctx/src/sub"), "lastModifiedTime"))
                    .isEqualTo(DIR_WHEN);
            assertThat(Files.readString(view.path().resolve("ctx/a.txt"))).isEqualTo("older a\n");
        }
    }

    @Test
    void theCommitTellsTheLayerItLinksFromBeforeTheFirstLinkAndWhenTheyAreMade() throws Exception {
        Path b = layerFile(source, "src/sub/b.txt");
        List<String> told = new ArrayList<>();
        snapshotter.close();
        snapshotter = (OverlaySnapshotter) Snapshotter.open(dir.resolve("state"), Snapshotter.Uses.NONE, layers -> {
            told.add("linking from " + layers + ", b.txt has names: " + names(b));
            return () -> told.add("linked, b.txt has names: " + names(b));
        });

        copy("/src", "/ctx/src", CopyOptions.defaults());

        assertThat(told)
                .containsExactly(
                        "linking from [" + source.layers().getLast() + "], b.txt has names: 1",
                        "linked, b.txt has names: 2");
    }

    private static Object names(Path file) {
        try {
            return attribute(file, "nlink");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void copyOntoAFileOfTheBaseReplacesItWithTheSharedFile() throws Exception {
        Snapshot copied = copy("/src/a.txt", "/ctx/a.txt", CopyOptions.defaults());

        try (Mounted view = snapshotter.mountReadOnly(copied)) {
            assertThat(described(view.path().resolve("ctx/a.txt")))
                    .isEqualTo("a\n mode 640 owner 1234:5678 mtime " + WHEN + " xattr x");
        }
        assertThat(attribute(layerFile(copied, "ctx/a.txt"), "ino"))
                .isEqualTo(attribute(layerFile(source, "src/a.txt"), "ino"));
    }

    @Test
    void copyThatChangesOwnerOrModeCopiesAndLeavesTheSourceAlone() throws Exception {
        Snapshot copied = copy(
                "/src",
                "/owned",
                CopyOptions.defaults().withOwner(new Owner(42, 43)).withMode(0600));

        Path original = layerFile(source, "src/a.txt");
        Path copy = layerFile(copied, "owned/a.txt");
        assertThat(attribute(copy, "ino")).isNotEqualTo(attribute(original, "ino"));
        assertThat(described(copy)).isEqualTo("a\n mode 600 owner 42:43 mtime " + WHEN + " xattr x");
        assertThat(described(original)).isEqualTo("a\n mode 640 owner 1234:5678 mtime " + WHEN + " xattr x");
    }

    @Test
    void writingASharedFileInALaterStepChangesNeitherTheCopyNorItsSource() throws Exception {
        Snapshot copied = copy("/src", "/ctx/src", CopyOptions.defaults());
        String before = described(layerFile(source, "src/a.txt"));

        Snapshot changed = commit(copied, root -> {
            Path a = root.resolve("ctx/src/a.txt");
            Files.writeString(a, "changed\n", StandardOpenOption.APPEND);
            PosixFiles.chmod(a, 0600);
            PosixFiles.lchown(a, 1, 1);
            Xattrs.set(a, "user.kiln", "y".getBytes(StandardCharsets.UTF_8));
            Files.writeString(root.resolve("ctx/src/sub/b.txt"), "rewritten\n");
        });

        assertThat(described(layerFile(source, "src/a.txt"))).isEqualTo(before);
        assertThat(described(layerFile(copied, "ctx/src/a.txt"))).isEqualTo(before);
        assertThat(Files.readString(layerFile(source, "src/sub/b.txt"))).isEqualTo("b\n");
        assertThat(Files.readString(layerFile(copied, "ctx/src/sub/b.txt"))).isEqualTo("b\n");
        try (Mounted view = snapshotter.mountReadOnly(changed)) {
            assertThat(described(view.path().resolve("ctx/src/a.txt")))
                    .isEqualTo("a\nchanged\n mode 600 owner 1:1 mtime "
                            + attribute(view.path().resolve("ctx/src/a.txt"), "lastModifiedTime") + " xattr y");
        }
    }

    @Test
    void checksumOfAViewRemembersDigestsByLayerFileSoTheNextSnapshotReadsOnlyItsNewFiles() throws Exception {
        ChecksumIndex index = ChecksumIndex.inMemory();
        ContentChecksum checksums = new ContentChecksum(index);
        String first;
        try (Mounted view = snapshotter.mountReadOnly(source)) {
            first = checksums.overLayers(view.path(), view.layers()).checksum(view.path(), "/src");
            assertThat(first).isEqualTo(new ContentChecksum(ChecksumIndex.inMemory()).checksum(view.path(), "/src"));
        }
        long read = index.stats().misses();
        copy("/src", "/ctx/src", CopyOptions.defaults()); // links change the files' ctime, not what they hold
        Snapshot next = commit(source, root -> Files.writeString(root.resolve("src/new.txt"), "new\n"));

        try (Mounted view = snapshotter.mountReadOnly(next)) {
            String second = checksums.overLayers(view.path(), view.layers()).checksum(view.path(), "/src");
            assertThat(second)
                    .isNotEqualTo(first)
                    .isEqualTo(new ContentChecksum(ChecksumIndex.inMemory()).checksum(view.path(), "/src"));
        }
        assertThat(index.stats().misses() - read).isEqualTo(1);
    }
}
