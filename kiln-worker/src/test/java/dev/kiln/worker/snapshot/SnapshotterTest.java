package dev.kiln.worker.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.Xattrs;
import dev.kiln.worker.sys.Mounts;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The behaviour both snapshotters share; each test runs once with overlayfs and once with the copying fallback. */
class SnapshotterTest {
    /** A test that runs once with each snapshotter that {@link #snapshotters()} names. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    @ParameterizedTest
    @MethodSource("snapshotters")
    @interface EachSnapshotter {}

    interface Opener {
        Snapshotter open(Path root) throws IOException;
    }

    interface Writes {
        void apply(Path root) throws IOException;
    }

    static Stream<Named<Opener>> snapshotters() {
        return Stream.of(Named.of("overlay", OverlaySnapshotter::open), Named.of("copy", CopySnapshotter::open));
    }

    @TempDir
    Path dir;

    Snapshotter snapshotter;

    Snapshotter open(Opener opener) throws IOException {
        snapshotter = opener.open(dir.resolve("state"));
        return snapshotter;
    }

    @AfterEach
    void closeAndCheckNothingIsLeftMounted() throws IOException {
        if (snapshotter != null) {
            snapshotter.close();
        }
        assertThat(Mounts.mountPointsUnder(dir)).isEmpty();
    }

    static Snapshot commit(Snapshotter snapshotter, Snapshot parent, Writes writes) throws IOException {
        try (ActiveSnapshot active = snapshotter.prepare(parent)) {
            writes.apply(active.mount());
            return active.commit();
        }
    }

    /** Writes files, creating their parent directories: path, content, path, content... */
    static Writes files(String... pathsAndContents) {
        return root -> {
            for (int i = 0; i < pathsAndContents.length; i += 2) {
                Path file = root.resolve(pathsAndContents[i]);
                Files.createDirectories(file.getParent());
                Files.writeString(file, pathsAndContents[i + 1]);
            }
        };
    }

    static int type(Path path) throws IOException {
        return (int) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & PosixFiles.S_IFMT;
    }

    static boolean isWhiteout(Path path) throws IOException {
        return type(path) == PosixFiles.S_IFCHR
                && (long) Files.getAttribute(path, "unix:rdev", LinkOption.NOFOLLOW_LINKS) == 0;
    }

    @EachSnapshotter
    void importedLayerStacksOnItsParentAndItsWhiteoutsHideParentFiles(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("kept", "base", "deleted", "base"));

        Snapshot imported = s.importLayer(base, layer -> {
            Files.writeString(layer.resolve("added"), "from the layer");
            PosixFiles.mknod(layer.resolve("deleted"), PosixFiles.S_IFCHR, 0);
        });

        assertThat(imported.layers()).hasSize(2).startsWith(base.layers().getFirst());
        try (Mounted view = s.mountReadOnly(imported)) {
            assertThat(view.path().resolve("kept")).hasContent("base");
            assertThat(view.path().resolve("added")).hasContent("from the layer");
            assertThat(view.path().resolve("deleted")).doesNotExist();
        }
        assertThat(s.load(imported.id())).contains(imported);
    }

    @EachSnapshotter
    void failedImportLeavesNoLayer(Opener opener) throws Exception {
        Snapshotter s = open(opener);

        assertThatThrownBy(() -> s.importLayer(Snapshot.SCRATCH, layer -> {
                    Files.writeString(layer.resolve("half"), "written");
                    throw new IOException("stream broke");
                }))
                .hasMessage("stream broke");

        try (var layers = Files.list(dir.resolve("state/l"))) {
            assertThat(layers.filter(p -> !p.getFileName().toString().startsWith(".")))
                    .isEmpty();
        }
    }

    @EachSnapshotter
    void committedWritesBecomeANewLayer(Opener opener) throws Exception {
        Snapshotter s = open(opener);

        Snapshot base = commit(s, Snapshot.SCRATCH, files("hello", "world"));

        assertThat(base.layers()).hasSize(1);
        assertThat(s.layerPath(base.layers().getFirst()).resolve("hello")).hasContent("world");
        assertFiles(s, base, "hello", "world");
    }

    @EachSnapshotter
    void preparedViewShowsTheParentAndKeepsWritesOutOfIt(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("file", "base"));

        Snapshot child = commit(s, base, root -> {
            assertThat(root.resolve("file")).hasContent("base");
            Files.writeString(root.resolve("file"), "child");
            Files.createDirectories(root.resolve("new/dir"));
        });

        assertThat(child.layers()).hasSize(2).startsWith(base.layers().getFirst());
        Path top = s.layerPath(child.layers().get(1));
        assertThat(top.resolve("file")).hasContent("child");
        assertThat(top.resolve("new/dir")).isDirectory();
        assertThat(s.layerPath(base.layers().getFirst()).resolve("file")).hasContent("base");
        try (Mounted before = s.mountReadOnly(base);
                Mounted after = s.mountReadOnly(child)) {
            assertThat(before.path().resolve("file")).hasContent("base");
            assertThat(after.path().resolve("file")).hasContent("child");
        }
    }

    @EachSnapshotter
    void commitWithoutChangesAddsNoLayer(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("file", "x"));

        Snapshot same = commit(s, base, root -> assertThat(root.resolve("file")).exists());

        assertThat(same.layers()).isEqualTo(base.layers());
        assertThat(same.id()).isNotEqualTo(base.id());
        assertThat(commit(s, Snapshot.SCRATCH, root -> {}).layers()).isEmpty();
    }

    @EachSnapshotter
    void directoryTouchedAndPutBackAddsNoLayer(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("etc/deep/passwd", "root:x:0:0::/:/bin/sh\n"));

        // what a container runtime's mount stub does: create, remove, restore the parent's times
        Snapshot same = commit(s, base, root -> {
            Path deep = root.resolve("etc/deep");
            FileTime accessed = (FileTime) Files.getAttribute(deep, "lastAccessTime");
            FileTime modified = Files.getLastModifiedTime(deep);
            Files.delete(Files.createFile(deep.resolve("stub")));
            PosixFiles.setTimes(deep, accessed, modified);
        });
        Snapshot touched = commit(s, base, root -> {
            Files.delete(Files.createFile(root.resolve("etc/deep/stub")));
        });

        assertThat(same.layers()).isEqualTo(base.layers());
        assertThat(touched.layers()).hasSize(2);
    }

    @EachSnapshotter
    void closingWithoutCommitDiscardsTheWrites(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("file", "x"));
        List<String> layersBefore = names(s.root().resolve("l"));

        try (ActiveSnapshot active = s.prepare(base)) {
            Files.writeString(active.mount().resolve("scratch"), "discard me");
        }

        assertThat(names(s.root().resolve("l"))).isEqualTo(layersBefore);
        assertThat(names(s.root().resolve("work"))).isEmpty();
    }

    @EachSnapshotter
    void deletedFileIsGoneInTheViewAndAWhiteoutInTheLayer(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("etc/drop", "bye", "etc/keep", "stay"));

        Snapshot child = commit(s, base, root -> Files.delete(root.resolve("etc/drop")));

        Path layer = s.layerPath(child.layers().getLast());
        assertThat(isWhiteout(layer.resolve("etc/drop"))).isTrue();
        assertThat(layer.resolve("etc/keep")).doesNotExist();
        try (Mounted view = s.mountReadOnly(child)) {
            assertThat(view.path().resolve("etc/drop")).doesNotExist();
            assertThat(view.path().resolve("etc/keep")).hasContent("stay");
        }
        try (Mounted diffOnly = s.mountReadOnly(s.diff(base, child))) {
            assertThat(Files.exists(diffOnly.path().resolve("etc/drop"), LinkOption.NOFOLLOW_LINKS))
                    .isFalse();
        }
    }

    @EachSnapshotter
    void replacedDirectoryHidesItsOldContent(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("d/old", "old"));

        Snapshot child = commit(s, base, root -> {
            Files.delete(root.resolve("d/old"));
            Files.delete(root.resolve("d"));
            Files.createDirectory(root.resolve("d"));
            Files.writeString(root.resolve("d/new"), "new");
        });

        Path layerDir = s.layerPath(child.layers().getLast()).resolve("d");
        boolean hiddenByOpaque = Xattrs.get(layerDir, "trusted.overlay.opaque").isPresent();
        boolean hiddenByWhiteout =
                Files.exists(layerDir.resolve("old"), LinkOption.NOFOLLOW_LINKS) && isWhiteout(layerDir.resolve("old"));
        assertThat(hiddenByOpaque || hiddenByWhiteout)
                .as("old content hidden by the layer")
                .isTrue();
        try (Mounted view = s.mountReadOnly(child)) {
            assertThat(names(view.path().resolve("d"))).containsExactly("new");
        }
        try (ActiveSnapshot again = s.prepare(child)) {
            assertThat(names(again.mount().resolve("d"))).containsExactly("new");
        }
    }

    @EachSnapshotter
    void mergeStacksInputsLaterOnTopWithoutNewLayers(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot a = commit(s, Snapshot.SCRATCH, files("shared", "from a", "only-a", "a"));
        Snapshot b = commit(s, Snapshot.SCRATCH, files("shared", "from b", "only-b", "b"));

        Snapshot merged = s.merge(List.of(a, b));

        assertThat(merged.layers())
                .containsExactly(a.layers().getFirst(), b.layers().getFirst());
        assertFiles(s, merged, "shared", "from b", "only-a", "a", "only-b", "b");
    }

    @EachSnapshotter
    void mergeOfInputsOnTheSameBaseKeepsTheBaseOnceAtItsHighestPlace(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("f", "base"));
        Snapshot a = commit(s, base, files("f", "a"));
        Snapshot b = commit(s, base, files("g", "b"));

        Snapshot merged = s.merge(List.of(a, b));

        assertThat(merged.layers())
                .containsExactly(
                        a.layers().get(1), base.layers().getFirst(), b.layers().get(1));
        // b's content includes the base's f, which is on top of a's change as in a full rebase of b onto a
        assertFiles(s, merged, "f", "base", "g", "b");
    }

    @EachSnapshotter
    void diffOfADescendantIsItsUpperLayers(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("f", "base"));
        Snapshot child = commit(s, base, files("g", "child"));
        Snapshot grandchild = commit(s, child, files("h", "grandchild"));

        assertThat(s.diff(base, grandchild).layers())
                .isEqualTo(grandchild.layers().subList(1, 3));
        assertThat(s.diff(child, child).layers()).isEmpty();
    }

    @EachSnapshotter
    void diffOfUnrelatedTreesComputesOneLayerOfChanges(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot before = commit(
                s,
                Snapshot.SCRATCH,
                files("removed", "x", "changed", "old", "same", "same", "dir/sub/removed-too", "y"));
        Snapshot after = commit(s, Snapshot.SCRATCH, root -> {
            Files.writeString(root.resolve("changed"), "new");
            Files.createDirectories(root.resolve("dir/sub"));
            Files.writeString(root.resolve("added"), "z");
        });
        // "same" must compare equal across the two trees, which were written at different times
        copyFileWithTimes(s, before, after, "same");
        Snapshot afterWithSame = s.load(after.id()).orElseThrow();

        Snapshot diff = s.diff(before, afterWithSame);

        assertThat(diff.layers()).hasSize(1);
        Path layer = s.layerPath(diff.layers().getFirst());
        assertThat(isWhiteout(layer.resolve("removed"))).isTrue();
        assertThat(isWhiteout(layer.resolve("dir/sub/removed-too"))).isTrue();
        assertThat(layer.resolve("changed")).hasContent("new");
        assertThat(layer.resolve("added")).hasContent("z");
        try (Mounted rebuilt = s.mountReadOnly(s.merge(List.of(before, diff)))) {
            assertThat(names(rebuilt.path())).containsExactly("added", "changed", "dir", "same");
            assertThat(names(rebuilt.path().resolve("dir/sub"))).isEmpty();
            assertThat(rebuilt.path().resolve("changed")).hasContent("new");
        }
    }

    /** Mounts {@code snapshot} read-only and checks its files: name, content, name, content... */
    private static void assertFiles(Snapshotter s, Snapshot snapshot, String... namesAndContents) throws IOException {
        try (Mounted view = s.mountReadOnly(snapshot)) {
            for (int i = 0; i < namesAndContents.length; i += 2) {
                assertThat(view.path().resolve(namesAndContents[i])).hasContent(namesAndContents[i + 1]);
            }
        }
    }

    /** Gives {@code after}'s layer a byte-and-time-identical copy of a file of {@code before}. */
    private static void copyFileWithTimes(Snapshotter s, Snapshot before, Snapshot after, String name)
            throws IOException {
        Path source = s.layerPath(before.layers().getFirst()).resolve(name);
        Path target = s.layerPath(after.layers().getFirst()).resolve(name);
        Files.copy(source, target);
        FileTime time = Files.getLastModifiedTime(source);
        PosixFiles.setTimes(target, time, time);
    }

    @EachSnapshotter
    void metadataSurvivesPrepareAndCommit(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        FileTime stamp = FileTime.from(Instant.parse("2020-01-02T03:04:05.123456789Z"));
        Snapshot base = commit(s, Snapshot.SCRATCH, root -> {
            Path tool = Files.writeString(root.resolve("tool"), "#!/bin/sh\n");
            PosixFiles.lchown(tool, 1000, 50);
            PosixFiles.chmod(tool, 04755);
            Xattrs.set(tool, "user.note", new byte[] {'h', 'i'});
            PosixFiles.setTimes(tool, stamp, stamp);
            Files.createSymbolicLink(root.resolve("link"), Path.of("tool"));
            PosixFiles.lchown(root.resolve("link"), 7, 8);
            Files.createLink(root.resolve("hardlink"), tool);
            PosixFiles.mknod(root.resolve("fifo"), PosixFiles.S_IFIFO | 0600, 0);
        });

        Snapshot child = commit(s, base, files("other", "x"));

        assertThat(child.layers()).hasSize(2);
        try (Mounted view = s.mountReadOnly(child)) {
            Path tool = view.path().resolve("tool");
            assertThat((int) Files.getAttribute(tool, "unix:mode") & 07777).isEqualTo(04755);
            assertThat(Files.getAttribute(tool, "unix:uid")).isEqualTo(1000);
            assertThat(Files.getAttribute(tool, "unix:gid")).isEqualTo(50);
            assertThat(Xattrs.get(tool, "user.note"))
                    .hasValueSatisfying(v -> assertThat(v).containsExactly('h', 'i'));
            assertThat(Files.getLastModifiedTime(tool)).isEqualTo(stamp);
            assertThat(Files.readSymbolicLink(view.path().resolve("link"))).isEqualTo(Path.of("tool"));
            assertThat(Files.getAttribute(view.path().resolve("link"), "unix:uid", LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo(7);
            assertThat(Files.isSameFile(tool, view.path().resolve("hardlink"))).isTrue();
            assertThat(type(view.path().resolve("fifo"))).isEqualTo(PosixFiles.S_IFIFO);
        }
    }

    @EachSnapshotter
    void snapshotsSurviveReopening(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("f", "persisted"));
        Snapshot child = commit(s, base, files("g", "too"));
        s.close();

        Snapshotter reopened = open(opener);

        assertThat(reopened.load(child.id())).contains(child);
        assertThat(reopened.load(Snapshot.SCRATCH.id())).contains(Snapshot.SCRATCH);
        assertFiles(reopened, reopened.load(child.id()).orElseThrow(), "f", "persisted", "g", "too");
    }

    @EachSnapshotter
    void removeDeletesOnlyLayersNoOtherSnapshotUses(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("f", "base"));
        Snapshot child = commit(s, base, files("g", "child"));

        s.remove(child.id());

        assertThat(s.load(child.id())).isEmpty();
        assertThat(s.layerPath(child.layers().get(1))).doesNotExist();
        assertThat(s.layerPath(base.layers().getFirst())).isDirectory();
        assertThat(s.load(base.id())).contains(base);

        s.remove(base.id());
        assertThat(names(s.root().resolve("l"))).isEmpty();
        assertThatThrownBy(() -> s.prepare(child))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("snapshot " + child.id());
    }

    @EachSnapshotter
    void layersInUseByAViewOutliveTheirSnapshot(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("f", "base"));
        Snapshot child = commit(s, base, files("g", "child"));

        // a layer read in place is held as a mounted one is
        try (Mounted view = s.mountReadOnly(child);
                Mounted inPlace = s.readInPlace(base)) {
            s.remove(child.id());
            s.remove(base.id());
            assertThat(view.path().resolve("g")).hasContent("child");
            assertThat(inPlace.path().resolve("f")).hasContent("base");
        }
        s.remove(base.id());
        assertThat(names(s.root().resolve("l"))).isEmpty();
    }

    @EachSnapshotter
    void aSingleLayerIsReadInPlaceWithoutAMount(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("Dockerfile", "FROM scratch"));

        try (Mounted view = s.readInPlace(base)) {
            assertThat(view.inPlace()).isTrue();
            assertThat(view.path()).isEqualTo(s.layerPath(base.layers().getFirst()));
            assertThat(view.path().resolve("Dockerfile")).hasContent("FROM scratch");
            assertThat(Mounts.mountPointsUnder(dir)).isEmpty();
        }
    }

    @EachSnapshotter
    void moreLayersAreReadThroughAReadOnlyView(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("f", "base"));
        Snapshot child = commit(s, base, root -> Files.delete(root.resolve("f")));

        try (Mounted view = s.readInPlace(child)) {
            assertThat(view.inPlace()).isFalse();
            assertThat(view.path()).isNotEqualTo(s.layerPath(child.layers().getLast()));
            assertThat(Files.exists(view.path().resolve("f"), LinkOption.NOFOLLOW_LINKS))
                    .isFalse();
        }
        try (Mounted scratch = s.readInPlace(Snapshot.SCRATCH)) {
            assertThat(names(scratch.path())).isEmpty();
        }
    }

    @EachSnapshotter
    void badIdsAreClearErrors(Opener opener) throws Exception {
        Snapshotter s = open(opener);

        assertThat(s.load("aaaaaaaaaaaaaaaaaaaa")).isEmpty();
        assertThatThrownBy(() -> s.load("../etc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a snapshot id: \"../etc\"");
        assertThatThrownBy(() -> s.layerPath("x/y"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a layer id");
    }

    @EachSnapshotter
    void aLongChainOfLayersStillMounts(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot top = Snapshot.SCRATCH;
        int count = 120;
        for (int i = 0; i < count; i++) {
            int n = i;
            top = commit(s, top, root -> {
                Files.writeString(root.resolve("f" + n), Integer.toString(n));
                if (n == 60) {
                    Files.delete(root.resolve("f10"));
                }
            });
        }
        assertThat(top.layers()).hasSize(count);

        try (Mounted view = s.mountReadOnly(top)) {
            assertThat(names(view.path()))
                    .hasSize(count - 1)
                    .doesNotContain("f10")
                    .contains("f0", "f119");
            assertThat(view.path().resolve("f77")).hasContent("77");
        }
        Snapshot more = commit(s, top, files("f0", "changed"));
        assertThat(more.layers()).hasSize(count + 1);
        assertThat(s.layerPath(more.layers().getLast()).resolve("f0")).hasContent("changed");
        if (s instanceof OverlaySnapshotter) {
            assertThat(names(s.root().resolve("squashes"))).as("squash records").isNotEmpty();
        }
    }

    @EachSnapshotter
    void closingTheSnapshotterDiscardsWhatIsStillOpen(Opener opener) throws Exception {
        Snapshotter s = open(opener);
        Snapshot base = commit(s, Snapshot.SCRATCH, files("f", "x"));
        ActiveSnapshot active = s.prepare(base);
        Files.writeString(active.mount().resolve("g"), "y");
        Mounted view = s.mountReadOnly(base);

        s.close();
        snapshotter = null;

        assertThat(Mounts.mountPointsUnder(dir)).isEmpty();
        assertThatThrownBy(active::commit)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        view.close();
    }

    static List<String> names(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
