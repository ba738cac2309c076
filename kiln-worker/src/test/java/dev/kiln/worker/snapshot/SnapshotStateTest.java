package dev.kiln.worker.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.worker.sys.Mounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state directory as a whole: choosing a snapshotter, exclusive use, and recovery after a crash. */
class SnapshotStateTest {
    @TempDir
    Path dir;

    @AfterEach
    void nothingLeftMounted() throws IOException {
        for (Path mountPoint : Mounts.mountPointsUnder(dir)) {
            Mounts.unmount(mountPoint, Mounts.MNT_DETACH);
        }
    }

    @Test
    void openPicksOverlayWhereItMounts() throws Exception {
        try (Snapshotter s = Snapshotter.open(dir.resolve("state"))) {
            assertThat(s).isInstanceOf(OverlaySnapshotter.class);
            assertThat(s.root()).isEqualTo(dir.resolve("state"));
        }
    }

    @Test
    void secondOpenOfTheSameStateIsRefusedUntilTheFirstCloses() throws Exception {
        Path root = dir.resolve("state");
        try (Snapshotter first = Snapshotter.open(root)) {
            assertThat(first.root()).isEqualTo(root);
            assertThatThrownBy(() -> Snapshotter.open(root))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(root.toString())
                    .hasMessageContaining("already open");
        }
        Snapshotter.open(root).close();
    }

    @Test
    void leftoversOfAKilledProcessAreCleanedAtOpen() throws Exception {
        Path root = dir.resolve("state");
        Snapshot kept;
        try (Snapshotter s = Snapshotter.open(root)) {
            kept = SnapshotterTest.commit(s, Snapshot.SCRATCH, r -> Files.writeString(r.resolve("f"), "kept"));
        }
        // What a process killed mid-prepare and mid-commit leaves: a live mount and scratch space under work/,
        // a complete layer no record points to, a half-written record, and no clean-shutdown marker.
        Path merged = Files.createDirectories(root.resolve("work/abcdefghijkl/merged"));
        Mounts.mount("tmpfs", merged, "tmpfs", 0, "size=1m");
        Files.writeString(merged.resolve("junk"), "x");
        Path orphan = Files.createDirectories(root.resolve("l/orphanlayr"));
        Files.writeString(orphan.resolve("file"), "unreferenced");
        Files.writeString(root.resolve("snapshots/.tmp-zzzzzzzzzzzzzzzzzzzz-abcdefgh"), "kiln-snapshot 1\nlay");
        Files.delete(root.resolve("closed-cleanly"));

        try (Snapshotter s = Snapshotter.open(root)) {
            assertThat(Mounts.mountPointsUnder(root)).isEmpty();
            assertThat(SnapshotterTest.names(root.resolve("work"))).isEmpty();
            assertThat(orphan).doesNotExist();
            assertThat(SnapshotterTest.names(root.resolve("snapshots"))).containsExactly(kept.id());
            try (Mounted view = s.mountReadOnly(s.load(kept.id()).orElseThrow())) {
                assertThat(view.path().resolve("f")).hasContent("kept");
            }
        }
    }

    @Test
    void recordsACrashToreOrWhoseLayerItLostAreDroppedAtOpenAndTheirLayersCollected() throws Exception {
        Path root = dir.resolve("state");
        Snapshot kept;
        Snapshot torn;
        try (Snapshotter s = Snapshotter.open(root)) {
            kept = SnapshotterTest.commit(s, Snapshot.SCRATCH, r -> Files.writeString(r.resolve("f"), "kept"));
            torn = SnapshotterTest.commit(s, Snapshot.SCRATCH, r -> Files.writeString(r.resolve("f"), "torn"));
        }
        // Records are written without fsync: a power loss can leave one without its end line, or one whose layer's
        // rename never reached the disk. Neither may be believed, nor stop the state from opening.
        Path snapshots = root.resolve("snapshots");
        String whole = Files.readString(snapshots.resolve(torn.id()));
        assertThat(whole).endsWith("\nend\n");
        Files.writeString(snapshots.resolve(torn.id()), whole.substring(0, whole.length() - "end\n".length()));
        String lostLayer = "zzzzzzzzzz";
        Files.writeString(snapshots.resolve("lostlayerlostlayerxx"), "kiln-snapshot 2\nlayer " + lostLayer + "\nend\n");
        Files.delete(root.resolve("closed-cleanly"));

        try (Snapshotter s = Snapshotter.open(root)) {
            assertThat(SnapshotterTest.names(snapshots)).containsExactly(kept.id());
            assertThat(SnapshotterTest.names(root.resolve("l"))).containsExactlyElementsOf(kept.layers());
            assertThat(s.load(torn.id())).isEmpty();
            try (Mounted view = s.mountReadOnly(s.load(kept.id()).orElseThrow())) {
                assertThat(view.path().resolve("f")).hasContent("kept");
            }
        }
    }

    @Test
    void aRecordOfTheFirstVersionWithoutAnEndLineStillLoads() throws Exception {
        Path root = dir.resolve("state");
        try (Snapshotter s = Snapshotter.open(root)) {
            Snapshot made = SnapshotterTest.commit(s, Snapshot.SCRATCH, r -> Files.writeString(r.resolve("f"), "v1"));
            Files.writeString(
                    root.resolve("snapshots").resolve("firstversionrecordaa"),
                    "kiln-snapshot 1\nlayer " + made.layers().getFirst() + "\n");

            Snapshot old = s.load("firstversionrecordaa").orElseThrow();

            assertThat(old.layers()).isEqualTo(made.layers());
            try (Mounted view = s.mountReadOnly(old)) {
                assertThat(view.path().resolve("f")).hasContent("v1");
            }
        }
    }

    @Test
    void commitWhileTheMountIsBusySaysSoAndCanStillBeDiscarded() throws Exception {
        try (Snapshotter s = OverlaySnapshotter.open(dir.resolve("state"))) {
            Snapshot base = SnapshotterTest.commit(s, Snapshot.SCRATCH, r -> Files.writeString(r.resolve("f"), "x"));
            ActiveSnapshot active = s.prepare(base);
            try (var busy = Files.newDirectoryStream(active.mount());
                    var fd = java.nio.channels.FileChannel.open(active.mount().resolve("f"))) {
                assertThat(busy).isNotNull();
                assertThatThrownBy(active::commit)
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("still in use");
            }
            active.close();
            assertThat(SnapshotterTest.names(s.root().resolve("work"))).isEmpty();
        }
    }

    @Test
    void corruptRecordIsReportedWithItsPath() throws Exception {
        Path root = dir.resolve("state");
        try (Snapshotter s = Snapshotter.open(root)) {
            Snapshot snapshot =
                    SnapshotterTest.commit(s, Snapshot.SCRATCH, r -> Files.writeString(r.resolve("f"), "x"));
            Files.writeString(root.resolve("snapshots").resolve(snapshot.id()), "garbage\n");

            assertThatThrownBy(() -> s.load(snapshot.id()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("corrupt snapshot state")
                    .hasMessageContaining(
                            root.resolve("snapshots").resolve(snapshot.id()).toString());
        }
    }
}
