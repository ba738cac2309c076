package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.testing.Resources;
import dev.kiln.oci.testing.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A build that fills the disk of the state directory (a real 32 MiB tmpfs) in a RUN step, in a COPY from the build
 * context and in the export of its layers: each fails saying the state's disk is full and naming the directory,
 * gives back what it wrote, and the next build on the same state works. The pull stage is {@link StateDiskFullTest}'s.
 */
class StateDiskFullStagesTest {
    private static final int DISK_MIB = 32;

    @TempDir
    Path dir;

    private SmallDisk disk;
    private EngineFixture kiln;
    private long free;

    @BeforeEach
    void smallState() throws Exception {
        assumeTrue(SmallDisk.canMount(), "mounting a tmpfs needs root");
        disk = SmallDisk.mount(dir.resolve("kiln/state"), DISK_MIB);
        kiln = new EngineFixture(dir.resolve("kiln"));
        // the base's snapshot is made once, before the disk is measured
        assertThat(kiln.build(smallBuild()).resolve("ok")).hasContent("ok\n");
        free = disk.free();
    }

    @AfterEach
    void unmount() throws Exception {
        Resources.closeAll(kiln, disk);
    }

    @Test
    void runStepThatFillsTheDisk() throws Exception {
        State fill = EngineFixture.base()
                .run(RunOption.sh("dd if=/dev/zero of=/fill bs=1M count=" + 2 * DISK_MIB))
                .root();
        assertFailsAsDiskFullAndRecovers(0, () -> kiln.build(fill));
    }

    @Test
    void copyFromTheContextThatFillsTheDisk() throws Exception {
        Path context = kiln.context("big");
        byte[] random = new byte[(DISK_MIB + 8) << 20];
        new Random(3).nextBytes(random);
        Files.write(context.resolve("big.bin"), random);
        State copy = EngineFixture.base().file(FileAction.copy(State.local("big"), "/big.bin", "/big.bin"));
        assertFailsAsDiskFullAndRecovers(0, () -> kiln.build(copy));
    }

    @Test
    void exportWhoseLayerDoesNotFit() throws Exception {
        // the RUN fits (about 60% of the disk); its layer, compressed into the content store beside it, does not
        int runBytes = DISK_MIB * 6 / 10 << 20;
        State random = EngineFixture.base()
                .run(RunOption.sh("head -c " + runBytes + " /dev/urandom > /random.bin"))
                .root();
        Path archive = dir.resolve("out/image.tar");
        // the RUN step's result stays cached: only the half-written layer blob is given back
        assertFailsAsDiskFullAndRecovers(
                runBytes,
                () -> kiln.build(
                        random,
                        new ExportTarget.OciArchive(
                                new ArchiveDestination.ToFile(archive), List.of("full:1"), ImageOptions.defaults())));
    }

    /** {@code kept}: what the failed build may keep, the results of the steps that finished before the disk filled. */
    private void assertFailsAsDiskFullAndRecovers(long kept, ThrowingBuild build) throws Exception {
        Path state = disk.path();
        assertThatThrownBy(build::run)
                .isInstanceOf(BuildException.class)
                .hasMessageStartingWith("the disk holding the state directory " + state + " is full");

        try (Stream<Path> ingest = Files.list(state.resolve("worker/images/content/ingest"))) {
            assertThat(ingest.map(p -> p.getFileName().toString()))
                    .noneMatch(name -> name.endsWith(".partial") || name.startsWith("tmp-"));
        }
        // a failed step's snapshot and a half-written blob are given back
        assertThat(disk.free()).isGreaterThan(free - kept - (3 << 20));
        assertThat(kiln.build(smallBuild()
                                .run(RunOption.sh("echo again > /again"))
                                .root())
                        .resolve("again"))
                .hasContent("again\n");
    }

    private static State smallBuild() {
        return EngineFixture.base().run(RunOption.sh("echo ok > /ok")).root();
    }

    @FunctionalInterface
    private interface ThrowingBuild {
        void run() throws Exception;
    }
}
