package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.llb.ImageOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.ImageManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The content store's blobs are disk use like the records: du lists them (what something refers to, and what a
 * sweep would delete now), and a prune with a space limit counts them and frees them, never a blob something
 * still refers to or a running build may use.
 */
class ContentStoreUsageTest {

    @RegisterExtension
    final EngineFixture kiln = EngineFixture.eachTest();

    /** A step that writes 300 KB that do not compress, so that its layer's blob is as large as its snapshot. */
    private static State write(String name) {
        return EngineFixture.writeStep(name, 300_000, "/dev/urandom");
    }

    /** Builds {@code state} into an OCI archive outside the state: its layers' blobs go to the content store. */
    private void export(State state, String name) throws Exception {
        kiln.build(
                state,
                new ExportTarget.OciArchive(
                        new ArchiveDestination.ToFile(kiln.dir.resolve(name + ".tar")),
                        List.of(),
                        ImageOptions.defaults()));
    }

    private Path blobDir() {
        return kiln.dir.resolve("state/worker/images/content/blobs/sha256");
    }

    /** The blobs on disk, by name, with their sizes. */
    private Map<String, Long> blobs() throws IOException {
        Map<String, Long> blobs = new HashMap<>();
        if (!Files.isDirectory(blobDir())) {
            return blobs;
        }
        try (Stream<Path> files = Files.list(blobDir())) {
            for (Path file : files.toList()) {
                blobs.put(file.getFileName().toString(), Files.size(file));
            }
        }
        return blobs;
    }

    private long blobBytes() throws IOException {
        return blobs().values().stream().mapToLong(Long::longValue).sum();
    }

    private List<UsageRecord> du() throws IOException {
        return kiln.engine.diskUsage(DiskUsageQuery.all());
    }

    private static long total(List<UsageRecord> records) {
        return records.stream().mapToLong(UsageRecord::size).sum();
    }

    private static boolean content(UsageRecord record) {
        return record.id().startsWith("content-store");
    }

    @Test
    void duListsTheContentStoreSoItsTotalIsTheStatesDiskUse() throws Exception {
        export(write("one"), "one");
        export(write("two"), "two");

        List<UsageRecord> listed = du();
        UsageRecord store = listed.stream()
                .filter(record -> record.id().equals("content-store"))
                .findFirst()
                .orElseThrow();
        assertThat(store.recordType()).isEqualTo(UsageRecord.INTERNAL);
        assertThat(store.description()).startsWith("content store: ").contains("blobs");
        // referenced by the layers the exports compressed: a prune must not take them while those layers stay
        assertThat(store.inUse()).isTrue();
        assertThat(store.size()).isGreaterThan(600_000L);
        long content = listed.stream()
                .filter(ContentStoreUsageTest::content)
                .mapToLong(UsageRecord::size)
                .sum();
        assertThat(content).isEqualTo(blobBytes());
        long records = total(listed.stream().filter(r -> !content(r)).toList());
        assertThat(total(listed)).isEqualTo(records + blobBytes());
        // what else the state holds is bookkeeping: the cache's records, the ledger, checksums, layer records
        long onDisk = bytesUnder(kiln.dir.resolve("state"));
        assertThat(total(listed)).isBetween(onDisk - 100_000, onDisk);
        assertThat(kiln.engine.diskUsage(DiskUsageQuery.filtered("type==internal")))
                .extracting(UsageRecord::id)
                .contains("content-store");
        assertThat(kiln.engine.diskUsage(DiskUsageQuery.filtered("type==regular")))
                .noneMatch(ContentStoreUsageTest::content);
    }

    @Test
    void blobsOfAPrunedStepAreListedAsReclaimableUntilTheNextPruneDeletesThem() throws Exception {
        export(write("one"), "one");
        export(write("two"), "two");
        assertThat(du()).noneMatch(record -> record.id().equals("content-store-unreferenced"));
        long before = blobBytes();

        // a filtered prune removes the step only; its layer's blob stays until a sweep
        assertThat(kiln.engine.prune(PruneOptions.defaults().withFilters("description==write one"), r -> {}))
                .extracting(UsageRecord::description)
                .containsExactly("write one");
        assertThat(blobBytes()).isEqualTo(before);
        UsageRecord unreferenced = du().stream()
                .filter(record -> record.id().equals("content-store-unreferenced"))
                .findFirst()
                .orElseThrow();
        assertThat(unreferenced.inUse()).isFalse();
        assertThat(unreferenced.recordType()).isEqualTo(UsageRecord.INTERNAL);
        assertThat(unreferenced.size()).isBetween(300_000L, 320_000L);
        assertThat(total(du().stream().filter(ContentStoreUsageTest::content).toList()))
                .isEqualTo(before);

        // a prune without filters that keeps every record still deletes those blobs
        List<UsageRecord> removed =
                kiln.engine.prune(PruneOptions.defaults().withKeepDuration(Duration.ofHours(1)), r -> {});
        assertThat(removed).singleElement().satisfies(record -> {
            assertThat(record.id()).isEqualTo("content-store");
            assertThat(record.size()).isEqualTo(unreferenced.size());
        });
        assertThat(blobBytes()).isEqualTo(before - unreferenced.size());
        assertThat(du()).noneMatch(record -> record.id().equals("content-store-unreferenced"));
    }

    @Test
    void keepStorageCountsTheBlobsAndEndsWithRecordsAndBlobsWithinTheLimit() throws Exception {
        export(write("one"), "one");
        Thread.sleep(50);
        export(write("two"), "two");
        Thread.sleep(50);
        export(write("three"), "three");
        List<UsageRecord> before = du();
        long records = total(before.stream().filter(r -> !content(r)).toList());
        long blobs = blobBytes();
        assertThat(blobs).isGreaterThan(900_000L);
        // the records alone fit: only the blobs put the state over the limit
        long limit = records + blobs - 500_000;
        assertThat(records).isLessThan(limit);

        List<UsageRecord> removed =
                kiln.engine.prune(new PruneOptions(false, Duration.ZERO, List.of(), 0, limit, 0), r -> {});

        assertThat(removed)
                .extracting(UsageRecord::description)
                .contains("write one")
                .doesNotContain("write three");
        assertThat(removed).anySatisfy(record -> {
            assertThat(record.id()).isEqualTo("content-store");
            assertThat(record.size()).isGreaterThanOrEqualTo(300_000L);
        });
        List<UsageRecord> after = du();
        assertThat(total(after)).isLessThanOrEqualTo(limit);
        long recordsAfter = total(after.stream().filter(r -> !content(r)).toList());
        assertThat(recordsAfter + blobBytes()).isLessThanOrEqualTo(limit);
        // only what the limit needed went: the newest step and its blob stay
        assertThat(after).extracting(UsageRecord::description).contains("write three");

        export(write("three"), "three-again");
        assertThat(kiln.cached()).contains("write three");
        export(write("one"), "one-again");
        assertThat(kiln.executed()).contains("write one");
        assertThat(kiln.dir.resolve("one-again.tar")).isNotEmptyFile();
    }

    @Test
    void aFilteredPruneThatRemovesNothingKeepsEveryReferencedBlob() throws Exception {
        BuildOutcome named = kiln.build(
                EngineFixture.base().run(RunOption.sh("echo kept > /marker")).root(),
                new ExportTarget.Image(List.of("kiln.invalid/kept:1"), false, ImageOptions.defaults()));
        Set<String> namedImage = closure(named);
        Set<String> beforeExport = blobs().keySet();
        export(write("one"), "one");
        Set<String> exported = new HashSet<>(blobs().keySet());
        exported.removeAll(beforeExport);
        assertThat(exported).hasSizeGreaterThanOrEqualTo(3); // the step's layer, the config, the manifest
        Map<String, Long> before = blobs();
        long unreferenced = du().stream()
                .filter(record -> record.id().equals("content-store-unreferenced"))
                .mapToLong(UsageRecord::size)
                .sum();

        assertThat(kiln.engine.prune(PruneOptions.everything().withFilters("id==nothing-has-this-id"), r -> {}))
                .isEmpty();
        assertThat(blobs()).isEqualTo(before);
        assertThat(kiln.engine.prune(
                        new PruneOptions(true, Duration.ZERO, List.of("id==nothing-has-this-id"), 0, 1, 0), r -> {}))
                .noneMatch(record -> !content(record));

        // a sweep may take what nothing refers to, and only that: the named image and the exported layers stay
        Map<String, Long> after = blobs();
        assertThat(after.keySet()).containsAll(namedImage).containsAll(exported);
        long deleted = before.values().stream().mapToLong(Long::longValue).sum()
                - after.values().stream().mapToLong(Long::longValue).sum();
        assertThat(deleted).isEqualTo(unreferenced);
        Path out = kiln.build(State.image("kiln.invalid/kept:1", ImageOption.ResolveMode.PREFER_LOCAL));
        assertThat(out.resolve("marker")).hasContent("kept\n");
        export(write("one"), "one-again");
        assertThat(kiln.cached()).contains("write one");
        assertThat(blobs().keySet()).containsAll(exported);
    }

    @Test
    void aLimitedPruneDuringABuildDeletesNoBlobAndTheNextOneDoes() throws Exception {
        export(write("one"), "one");
        kiln.engine.prune(PruneOptions.defaults().withFilters("description==write one"), r -> {});
        Map<String, Long> before = blobs();
        assertThat(du()).anyMatch(record -> record.id().equals("content-store-unreferenced"));
        Path out = Files.createTempDirectory(kiln.dir, "out-");
        CompletableFuture<BuildOutcome> building = kiln.startSlowBuild(out);

        List<UsageRecord> during =
                kiln.engine.prune(new PruneOptions(true, Duration.ZERO, List.of(), 0, 1, 0), r -> {});

        assertThat(during).noneMatch(ContentStoreUsageTest::content);
        assertThat(blobs()).containsAllEntriesOf(before);
        building.get(60, TimeUnit.SECONDS);
        assertThat(Files.readString(out.resolve("slow"))).isEqualTo("done\n");

        List<UsageRecord> after = kiln.engine.prune(new PruneOptions(true, Duration.ZERO, List.of(), 0, 1, 0), r -> {});
        assertThat(after).anyMatch(record -> record.id().equals("content-store"));
        assertThat(du()).isEmpty();
        assertThat(blobs()).isEmpty();
        export(write("one"), "one-again");
        assertThat(kiln.executed()).contains("write one");
    }

    /** The named image's manifest, config and layers. */
    private Set<String> closure(BuildOutcome named) throws IOException {
        String digest =
                new String(named.result().metadata("containerimage.digest").orElseThrow(), StandardCharsets.UTF_8);
        String hex = digest.substring(digest.indexOf(':') + 1);
        ImageManifest manifest =
                ImageManifest.parse(Files.readAllBytes(blobDir().resolve(hex)));
        Set<String> blobs = new HashSet<>();
        blobs.add(hex);
        blobs.add(manifest.config().digest().hex());
        manifest.layers().forEach(layer -> blobs.add(layer.digest().hex()));
        return blobs;
    }

    /** Bytes of the files under {@code dir}, each counted once however often linked (busybox's applets are links). */
    private static long bytesUnder(Path dir) throws IOException {
        Set<Object> seen = new HashSet<>();
        long total = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.toList()) {
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException gone) {
                    continue;
                }
                if ((attributes.isRegularFile() || attributes.isSymbolicLink()) && seen.add(attributes.fileKey())) {
                    total += attributes.size();
                }
            }
        }
        return total;
    }
}
