package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.llb.ImageOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.ImageManifest;
import dev.kiln.worker.BusyboxRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A prune also empties the content store of what nothing refers to any more: the blobs of pruned pulls and of
 * exports nothing names, while an image with a local name keeps its manifest, config and layers.
 */
class ContentSweepTest {

    @RegisterExtension
    final EngineFixture kiln = EngineFixture.eachTest();

    @Test
    void pruneAllDeletesTheBlobsOfPulledAndExportedLayersAndKeepsNamedImages() throws Exception {
        try (BusyboxRegistry images = BusyboxRegistry.start(kiln.dir)) {
            String base = images.busybox().toString();
            BuildOutcome named = kiln.build(
                    State.image(base).run(RunOption.sh("echo kept > /marker")).root(),
                    new ExportTarget.Image(List.of("kiln.invalid/kept:1"), false, ImageOptions.defaults()));
            BuildOutcome other = kiln.build(
                    State.image(base).run(RunOption.sh("echo gone > /other")).root(),
                    new ExportTarget.OciArchive(
                            new ArchiveDestination.ToFile(kiln.dir.resolve("other.tar")),
                            List.of(),
                            ImageOptions.defaults()));
            Path blobs = kiln.dir.resolve("state/worker/images/content/blobs/sha256");
            Set<String> before = names(blobs);
            String otherManifest = hex(digestOf(other));
            String otherRunLayer = ImageManifest.parse(Files.readAllBytes(blobs.resolve(otherManifest)))
                    .layers()
                    .getLast()
                    .digest()
                    .hex();

            List<UsageRecord> removed = kiln.engine.prune(PruneOptions.everything(), record -> {});

            String manifestDigest =
                    new String(named.result().metadata("containerimage.digest").orElseThrow(), StandardCharsets.UTF_8);
            ImageManifest manifest = ImageManifest.parse(Files.readAllBytes(blobs.resolve(hex(manifestDigest))));
            Set<String> namedImage = new HashSet<>();
            namedImage.add(hex(manifestDigest));
            namedImage.add(manifest.config().digest().hex());
            manifest.layers().forEach(layer -> namedImage.add(layer.digest().hex()));
            Set<String> after = names(blobs);
            // What the named image needs stays (and the pulled base's documents, whose one layer it shares).
            assertThat(after).containsAll(namedImage).doesNotContain(otherManifest, otherRunLayer);
            assertThat(removed)
                    .filteredOn(record -> record.id().equals("content-store"))
                    .singleElement()
                    .satisfies(record -> {
                        assertThat(record.recordType()).isEqualTo(UsageRecord.INTERNAL);
                        assertThat(record.size()).isPositive();
                        assertThat(record.description())
                                .startsWith((before.size() - after.size()) + " blobs of the content store");
                    });

            // The named image still builds on with nothing but this machine; a pull fetches its blobs again.
            Path out = kiln.build(State.image("kiln.invalid/kept:1", ImageOption.ResolveMode.PREFER_LOCAL));
            assertThat(out.resolve("marker")).hasContent("kept\n");
            Path again = kiln.build(
                    State.image(base).run(RunOption.sh("echo again > /again")).root());
            assertThat(again.resolve("again")).hasContent("again\n");
        }
    }

    private static String digestOf(BuildOutcome outcome) {
        return new String(outcome.result().metadata("containerimage.digest").orElseThrow(), StandardCharsets.UTF_8);
    }

    private static String hex(String digest) {
        return digest.substring(digest.indexOf(':') + 1);
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return new HashSet<>(
                    files.map(file -> file.getFileName().toString()).toList());
        }
    }
}
