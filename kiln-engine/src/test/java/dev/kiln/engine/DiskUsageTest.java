package dev.kiln.engine;

import static dev.kiln.engine.ExportedFiles.listing;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.llb.CacheSharing;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.Mount;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code buildctl du} and {@code buildctl prune} against the engine: real builds, real files, real sizes. */
class DiskUsageTest {

    @RegisterExtension
    final EngineFixture kiln = EngineFixture.eachTest();

    /** A base, a RUN step that writes 300 KB and uses a cache mount. */
    private static State build(String name) {
        return EngineFixture.base()
                .run(
                        RunOption.sh("head -c 300000 /dev/zero > /" + name + "; echo " + name
                                + " > /cache/seen; cp /cache/seen /" + name + ".seen"),
                        RunOption.mount("/cache", Mount.cache("du-" + name, CacheSharing.SHARED)),
                        OpOption.customName("write " + name))
                .root();
    }

    @Test
    void listsWhatABuildLeftAndARebuildUpdatesLastUsed() throws Exception {
        kiln.build(build("big"));

        List<UsageRecord> records = kiln.engine.diskUsage(DiskUsageQuery.all());
        UsageRecord step = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("description==write big")));
        assertThat(step.recordType()).isEqualTo(UsageRecord.REGULAR);
        assertThat(step.size()).isBetween(300_000L, 400_000L);
        assertThat(step.inUse()).isFalse();
        assertThat(step.parents()).hasSize(1);
        UsageRecord base = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("type==source.local")));
        assertThat(step.parents()).containsExactly(base.id());
        assertThat(base.description()).isEqualTo("local source for rootfs");
        assertThat(base.size()).isGreaterThan(500_000L);
        UsageRecord cache = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("type==exec.cachemount")));
        assertThat(cache.description()).contains("du-big");
        assertThat(cache.mutable()).isTrue();
        assertThat(cache.size()).isEqualTo("big\n".length());
        assertThat(records).extracting(UsageRecord::id).contains(step.id(), base.id(), cache.id());
        assertThat(kiln.engine.diskUsage(DiskUsageQuery.filtered("type==regular,description~=^write")))
                .hasSize(1);
        assertThat(kiln.engine.diskUsage(DiskUsageQuery.filtered("id==" + step.id(), "id==" + base.id())))
                .hasSize(2);

        Thread.sleep(20);
        kiln.reopen();
        kiln.build(build("big"));

        assertThat(kiln.cached()).contains("write big");
        UsageRecord again = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("id==" + step.id())));
        assertThat(again.lastUsedAt()).isAfter(step.lastUsedAt());
        assertThat(again.usageCount()).isGreaterThan(step.usageCount());
        assertThat(again.createdAt()).isEqualTo(step.createdAt());
    }

    @Test
    void aLayerTwoRecordsStandOnCountsOnceAtItsOwnerAndEachChildCountsOnlyItsOwnLayer() throws Exception {
        State shared = build("big");
        State childA = shared.run(RunOption.sh("head -c 60000 /dev/zero > /a"), OpOption.customName("child a"))
                .root();
        State childB = shared.run(RunOption.sh("head -c 80000 /dev/zero > /b"), OpOption.customName("child b"))
                .root();
        kiln.build(childA);
        kiln.build(childB);

        UsageRecord big = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("description==write big")));
        UsageRecord a = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("description==child a")));
        UsageRecord b = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("description==child b")));
        assertThat(big.size()).isBetween(300_000L, 400_000L);
        assertThat(a.size()).isBetween(60_000L, 100_000L);
        assertThat(b.size()).isBetween(80_000L, 120_000L);
        assertThat(a.parents()).contains(big.id());
        assertThat(b.parents()).contains(big.id());

        // Removing one child frees its own layer only; the layer the other still stands on stays.
        long before = bytesUnder(kiln.dir.resolve("state"));
        List<UsageRecord> removed = kiln.engine.prune(
                new PruneOptions(false, java.time.Duration.ZERO, List.of("description==child a"), 0, 0, 0), r -> {});
        assertThat(removed).extracting(UsageRecord::id).containsExactly(a.id());
        assertThat(bytesUnder(kiln.dir.resolve("state"))).isBetween(before - a.size() - 20_000, before - 50_000);
        assertThat(kiln.engine.diskUsage(DiskUsageQuery.filtered("id==" + big.id())))
                .hasSize(1);
    }

    @Test
    void pruneAllFreesTheDiskAndTheNextBuildRunsItsStepsAgain() throws Exception {
        Path first = kiln.build(build("big"));
        long before = bytesUnder(kiln.dir.resolve("state"));
        List<UsageRecord> listed = kiln.engine.diskUsage(DiskUsageQuery.all());

        List<UsageRecord> reported = new ArrayList<>();
        List<UsageRecord> removed = kiln.engine.prune(PruneOptions.everything(), reported::add);

        assertThat(reported).isEqualTo(removed);
        assertThat(removed)
                .extracting(UsageRecord::id)
                .containsExactlyInAnyOrderElementsOf(
                        listed.stream().map(UsageRecord::id).toList());
        long freed = listed.stream().mapToLong(UsageRecord::size).sum();
        assertThat(bytesUnder(kiln.dir.resolve("state"))).isLessThanOrEqualTo(before - freed + 50_000);
        assertThat(kiln.engine.diskUsage(DiskUsageQuery.all())).isEmpty();

        Path second = kiln.build(build("big"));

        assertThat(kiln.executed()).contains("write big");
        assertThat(kiln.cached()).doesNotContain("write big");
        assertThat(listing(second)).isEqualTo(listing(first));
        assertThat(Files.readString(second.resolve("big.seen"))).isEqualTo("big\n");
        kiln.reopen();
        kiln.build(build("big"));
        assertThat(kiln.cached()).contains("write big");
    }

    @Test
    void pruneKeepsWhatWasUsedWithinTheKeepDurationAndWhatTheFilterLeaves() throws Exception {
        kiln.build(build("big"));
        int all = kiln.engine.diskUsage(DiskUsageQuery.all()).size();

        assertThat(kiln.engine.prune(PruneOptions.defaults().withKeepDuration(Duration.ofHours(1)), r -> {}))
                .isEmpty();
        List<UsageRecord> mounts =
                kiln.engine.prune(PruneOptions.defaults().withFilters("type==exec.cachemount"), r -> {});
        assertThat(mounts).singleElement().extracting(UsageRecord::recordType).isEqualTo(UsageRecord.CACHE_MOUNT);
        assertThat(kiln.engine.diskUsage(DiskUsageQuery.all())).hasSize(all - 1);

        Thread.sleep(50);
        List<UsageRecord> old =
                kiln.engine.prune(PruneOptions.defaults().withKeepDuration(Duration.ofMillis(20)), r -> {});
        assertThat(old).hasSize(all - 1);
        assertThat(kiln.engine.diskUsage(DiskUsageQuery.all())).isEmpty();
    }

    @Test
    void pruneDuringABuildLeavesWhatTheBuildUses() throws Exception {
        kiln.build(build("big"));
        Path out = Files.createTempDirectory(kiln.dir, "out-");
        CompletableFuture<BuildOutcome> building = kiln.startSlowBuild(out);

        List<UsageRecord> removed = kiln.engine.prune(PruneOptions.everything(), r -> {});

        assertThat(removed)
                .extracting(UsageRecord::description)
                .contains("write big")
                .doesNotContain("local source for rootfs");
        UsageRecord base = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("type==source.local")));
        assertThat(base.inUse()).isTrue();
        building.get(60, TimeUnit.SECONDS);
        assertThat(Files.readString(out.resolve("slow"))).isEqualTo("done\n");
        assertThat(only(kiln.engine.diskUsage(DiskUsageQuery.filtered("id==" + base.id())))
                        .inUse())
                .isFalse();

        kiln.build(build("big"));
        assertThat(kiln.executed()).contains("write big");
    }

    @Test
    void aFileACopyLinksFromItsSourceCountsOnceSoTheTotalIsTheDiskUse() throws Exception {
        buildACopyOfALocalFile();

        assertTheLinkedFileCountsOnce();
    }

    @ParameterizedTest(name = "engine reopened after the copy: {0}")
    @ValueSource(booleans = {false, true})
    void aFileALaterCopyLinksFromALayerMeasuredBeforeCountsOnce(boolean reopened) throws Exception {
        measureALocalSourceOfOneFile();
        kiln.build(copyOfLocalData());
        if (reopened) {
            // the next engine takes the source layer's measure from disk, not from the last one's memory
            kiln.reopen();
        }

        assertTheLinkedFileCountsOnce();
    }

    /**
     * The copy's layer links the local source's 300 KB file: one file on disk, counted at one of the two records, so
     * the sizes of all records add up to what the state takes.
     */
    private void assertTheLinkedFileCountsOnce() throws IOException {
        List<UsageRecord> records = kiln.engine.diskUsage(DiskUsageQuery.all());
        long onDisk = distinctBytesUnder(kiln.dir.resolve("state"));
        assertThat(total(records)).isBetween(onDisk - 100_000, onDisk);
        UsageRecord source = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("description~=linked")));
        UsageRecord copy = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("description==copy data")));
        assertThat(source.size() + copy.size()).isBetween(300_000L, 310_000L);
    }

    @Test
    void aPruneReportsTheBytesItFreedNotThoseALinkStillKeeps() throws Exception {
        buildACopyOfALocalFile();
        UsageRecord source = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("description~=linked")));
        UsageRecord copy = only(kiln.engine.diskUsage(DiskUsageQuery.filtered("description==copy data")));

        // the copy's layer still links the source's file: removing the source frees next to nothing
        assertThat(freedByPruningAlone(source)).isLessThan(50_000L);
        // now the copy's layer holds the file's last name: its removal frees the 300 KB
        assertThat(freedByPruningAlone(copy)).isGreaterThanOrEqualTo(300_000L);
    }

    @Test
    void aPruneCountsTheNamesALaterCopyLinkedToALayerMeasuredBefore() throws Exception {
        UsageRecord source = measureALocalSourceOfOneFile();
        kiln.build(copyOfLocalData());

        assertThat(freedByPruningAlone(source)).isLessThan(50_000L);
    }

    /**
     * Builds a step that reads 300 KB from the local source "linked" through a mount, then lists du: the source's
     * layer is measured while its file has one name, which a later copy of the file links a second. Returns the
     * source's record.
     */
    private UsageRecord measureALocalSourceOfOneFile() throws Exception {
        Files.write(kiln.context("linked").resolve("data.bin"), new byte[300_000]);
        kiln.build(EngineFixture.base()
                .run(
                        RunOption.sh("wc -c < /ctx/data.bin > /size"),
                        RunOption.mount(
                                "/ctx", Mount.bind(State.local("linked")).asReadonly()),
                        OpOption.customName("read data"))
                .root());
        return only(kiln.engine.diskUsage(DiskUsageQuery.filtered("description~=linked")));
    }

    /**
     * Copies 300 KB of random bytes from the local source "linked" onto the base, in a step named "copy data": the
     * copy's layer links the source's file.
     */
    private void buildACopyOfALocalFile() throws Exception {
        Path context = kiln.context("linked");
        byte[] data = new byte[300_000];
        new java.util.Random(7).nextBytes(data);
        Files.write(context.resolve("data.bin"), data);
        kiln.build(copyOfLocalData());
    }

    /** The base with /data.bin copied from the local source "linked", in a step named "copy data". */
    private static State copyOfLocalData() {
        return EngineFixture.base()
                .file(
                        FileAction.copy(State.local("linked"), "/data.bin", "/data.bin"),
                        OpOption.customName("copy data"));
    }

    /**
     * Prunes {@code record} alone, as {@code kiln prune --filter id==...} does, and returns the bytes the prune
     * reported freed, having checked that the state's files take that much less now (give or take the small files
     * a prune rewrites: the usage ledger, the cache's records).
     */
    private long freedByPruningAlone(UsageRecord record) throws IOException {
        Path state = kiln.dir.resolve("state");
        long before = distinctBytesUnder(state);
        List<UsageRecord> removed = kiln.engine.prune(
                new PruneOptions(false, Duration.ZERO, List.of("id==" + record.id()), 0, 0, 0), r -> {});
        assertThat(removed).extracting(UsageRecord::id).containsExactly(record.id());
        long reported = total(removed);
        assertThat(reported).isCloseTo(before - distinctBytesUnder(state), Offset.offset(10_000L));
        return reported;
    }

    @Test
    void aLayersMeasureOutlivesTheEngineAndATornOneIsMeasuredAgain() throws Exception {
        kiln.build(build("big"));
        List<UsageRecord> before = kiln.engine.diskUsage(DiskUsageQuery.all());
        Path measures = kiln.dir.resolve("state/worker/usage/layers");
        List<Path> kept;
        try (Stream<Path> files = Files.list(measures)) {
            kept = files.toList();
        }
        assertThat(kept).as("one measure a layer").hasSizeGreaterThanOrEqualTo(2);
        // a write the machine's crash cut short: shorter than its count says
        Path torn = kept.getFirst();
        byte[] whole = Files.readAllBytes(torn);
        Files.write(torn, java.util.Arrays.copyOf(whole, whole.length - 1));
        // a whole one is what the next engine counts, without walking the layer: 1,000 bytes more than it holds
        Path other = kept.get(1);
        java.nio.ByteBuffer measure = java.nio.ByteBuffer.wrap(Files.readAllBytes(other));
        int singlyLinkedAt = 4 + 8 + 8;
        measure.putLong(singlyLinkedAt, measure.getLong(singlyLinkedAt) + 1_000);
        Files.write(other, measure.array());

        kiln.reopen();

        List<UsageRecord> after = kiln.engine.diskUsage(DiskUsageQuery.all());
        assertThat(total(after)).isEqualTo(total(before) + 1_000);
        assertThat(Files.readAllBytes(torn)).as("measured and written again").isEqualTo(whole);
        kiln.engine.prune(PruneOptions.everything(), removed -> {});
        kiln.engine.diskUsage(DiskUsageQuery.all());
        try (Stream<Path> files = Files.list(measures)) {
            assertThat(files.filter(file -> !file.getFileName().toString().startsWith(".tmp-")))
                    .as("the measures of pruned layers go with them")
                    .isEmpty();
        }
    }

    private static long total(List<UsageRecord> records) {
        return records.stream().mapToLong(UsageRecord::size).sum();
    }

    private static UsageRecord only(List<UsageRecord> records) {
        assertThat(records).hasSize(1);
        return records.getFirst();
    }

    private static long bytesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(file -> file.toFile().length())
                    .sum();
        }
    }

    /** As {@link #bytesUnder}, each file once however often linked, as the disk holds it. */
    private static long distinctBytesUnder(Path dir) throws IOException {
        java.util.Set<Object> seen = new java.util.HashSet<>();
        long total = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.toList()) {
                var attributes = Files.readAttributes(
                        file,
                        java.nio.file.attribute.BasicFileAttributes.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if ((attributes.isRegularFile() || attributes.isSymbolicLink()) && seen.add(attributes.fileKey())) {
                    total += attributes.size();
                }
            }
        }
        return total;
    }
}
