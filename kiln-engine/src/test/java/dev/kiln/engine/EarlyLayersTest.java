package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.cache.CacheExport;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.CacheConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.solver.ProgressEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A build compresses the layers of its result while its later steps run, for an image output or a cache export;
 * those of a stage the result does not contain only for a mode=max cache export, which needs them. The blobs are the
 * ones the export would have written.
 */
class EarlyLayersTest {

    private static final String AHEAD = "compressing layers ahead of the export";

    @RegisterExtension
    final EngineFixture kiln = EngineFixture.eachTest();

    /** A step that writes 2 MB, then one that takes a while: the first's layer is compressed during the second. */
    private static State writeThenWait(String name) {
        return EngineFixture.writeStep(name, 2_000_000, "/dev/urandom")
                .run(RunOption.sh("sleep 2; echo done > /" + name + ".done"), OpOption.customName("wait " + name))
                .root();
    }

    @Test
    void anImageLayerIsCompressedWhileTheStepsAfterItRun() throws Exception {
        Path tar = kiln.dir.resolve("image.tar");
        kiln.build(writeThenWait("big"), ociArchive(tar));

        // the base's layer (from the start) and the written step's, both well before the 2 s wait step ends (the
        // wait step's own layer is queued as it ends, so it may or may not log before the step is reported done)
        List<ProgressEvent.VertexLog> ahead =
                writtenBefore(completed("wait big").minusMillis(500));
        assertThat(ahead).hasSize(2).allMatch(line -> text(line).startsWith("compressing layer "));
        for (ProgressEvent.VertexLog line : ahead) {
            String layer = text(line).split(" ")[2];
            assertThat(logs("exporting to oci image format").stream().map(EarlyLayersTest::text))
                    .as("the export finds the layer written")
                    .noneMatch(exported -> exported.contains(layer));
        }

        // the image is whole: its written-ahead layer is a blob in the archive, the file in it the step's
        ImageManifest manifest = manifestOf(tar);
        assertThat(manifest.layers()).hasSizeGreaterThanOrEqualTo(3);
        Path out = kiln.build(writeThenWait("big"));
        assertThat(Files.size(out.resolve("big"))).isEqualTo(2_000_000);
    }

    @Test
    void aStageTheImageDoesNotContainIsNotCompressedForAnImage() throws Exception {
        State other = writeThenWait("other");
        State image = EngineFixture.base()
                .file(FileAction.copy(other, "/other.done", "/other.done"), OpOption.customName("copy done"));

        kiln.build(image, ociArchive(kiln.dir.resolve("image.tar")));

        // the base's layer and the copy's are compressed, ahead or by the export; the other stage's two never
        long compressed = Stream.concat(logs(AHEAD).stream(), logs("exporting to oci image format").stream())
                .filter(line -> text(line).startsWith("compressing layer "))
                .count();
        assertThat(compressed).isEqualTo(2);
    }

    @Test
    void aModeMaxCacheExportHasEveryStepsLayersCompressedAheadAndWritesNoneItself() throws Exception {
        State other = writeThenWait("other");
        State image = EngineFixture.base()
                .file(FileAction.copy(other, "/other.done", "/other.done"), OpOption.customName("copy done"));
        Path cache = kiln.dir.resolve("cache");

        kiln.engine.build(
                new BuildRequest(new FrontendSpec.Llb(image.marshal()), Map.of(), kiln.locals, List.of())
                        .withCache(
                                List.of(CacheExport.of("local", Map.of("dest", cache.toString(), "mode", "max"))),
                                List.of()),
                kiln.events::add);

        List<ProgressEvent.VertexLog> ahead = logs(AHEAD);
        // the base's layer, the other stage's written layer while its wait step ran, that step's, and the copy's
        assertThat(ahead).hasSize(4).allMatch(line -> text(line).startsWith("compressing layer "));
        assertThat(ahead.get(1).timestamp()).isBefore(completed("wait other"));
        assertThat(logs("exporting cache to client directory"))
                .as("the cache export finds every layer written")
                .noneMatch(line -> text(line).startsWith("compressing layer "));
        // the cache holds that blob, as the cache export would have written it
        ImageManifest manifest = ImageManifest.parse(Files.readAllBytes(blob(
                cache,
                ImageIndex.parse(Files.readAllBytes(cache.resolve("index.json")))
                        .manifests()
                        .getFirst())));
        CacheConfig config = CacheConfig.parse(Files.readAllBytes(blob(cache, manifest.config())));
        assertThat(config.layers()).hasSizeGreaterThanOrEqualTo(2);
        for (Descriptor layer : manifest.layers()) {
            assertThat(blob(cache, layer)).exists();
        }
    }

    @Test
    void aModeMaxCacheExportInAnotherFormThanTheImagesLeavesTheOtherStageToItself() throws Exception {
        State other = writeThenWait("other");
        State image = EngineFixture.base()
                .file(FileAction.copy(other, "/other.done", "/other.done"), OpOption.customName("copy done"));
        ExportTarget zstdImage = new ExportTarget.OciArchive(
                new ArchiveDestination.ToFile(kiln.dir.resolve("image.tar")),
                List.of(),
                ImageOptions.parse(Map.of("compression", "zstd"), ImageOptions.defaults(), Optional.empty()));

        kiln.engine.build(
                new BuildRequest(new FrontendSpec.Llb(image.marshal()), Map.of(), kiln.locals, List.of(zstdImage))
                        .withCache(
                                List.of(CacheExport.of(
                                        "local",
                                        Map.of("dest", kiln.dir.resolve("cache").toString(), "mode", "max"))),
                                List.of()),
                kiln.events::add);

        // the image's two layers ahead, in zstd; the other stage's two by the gzip cache export, as before
        assertThat(logs(AHEAD)).hasSize(2).allMatch(line -> text(line).contains("(zstd)"));
        assertThat(logs("exporting cache to client directory").stream().map(EarlyLayersTest::text))
                .filteredOn(line -> line.startsWith("compressing layer "))
                .hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void aBuildWithoutOutputsCompressesNothing() throws Exception {
        kiln.engine.build(
                new BuildRequest(
                        new FrontendSpec.Llb(writeThenWait("big").marshal()), Map.of(), kiln.locals, List.of()),
                kiln.events::add);

        assertThat(logs(AHEAD)).isEmpty();
    }

    private ExportTarget ociArchive(Path tar) {
        return new ExportTarget.OciArchive(new ArchiveDestination.ToFile(tar), List.of(), ImageOptions.defaults());
    }

    private Instant completed(String step) {
        return kiln.events.stream()
                .filter(e -> e instanceof ProgressEvent.VertexCompleted
                        && e.vertexName().equals(step))
                .map(ProgressEvent::timestamp)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no step " + step + " completed: " + kiln.events));
    }

    /** The layers written ahead before {@code time}. */
    private List<ProgressEvent.VertexLog> writtenBefore(Instant time) {
        return logs(AHEAD).stream()
                .filter(line -> line.timestamp().isBefore(time))
                .toList();
    }

    private List<ProgressEvent.VertexLog> logs(String vertex) {
        return kiln.events.stream()
                .filter(e ->
                        e instanceof ProgressEvent.VertexLog && e.vertexName().equals(vertex))
                .map(ProgressEvent.VertexLog.class::cast)
                .toList();
    }

    private static String text(ProgressEvent.VertexLog log) {
        return new String(log.data(), StandardCharsets.UTF_8).strip();
    }

    private static Path blob(Path layout, Descriptor descriptor) {
        return layout.resolve("blobs/sha256").resolve(descriptor.digest().hex());
    }

    private static ImageManifest manifestOf(Path tar) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(tar.resolveSibling("unpacked"));
        Process untar = new ProcessBuilder("tar", "-xf", tar.toString(), "-C", dir.toString())
                .inheritIO()
                .start();
        assertThat(untar.waitFor()).isZero();
        Descriptor entry = ImageIndex.parse(Files.readAllBytes(dir.resolve("index.json")))
                .manifests()
                .getFirst();
        return ImageManifest.parse(Files.readAllBytes(blob(dir, entry)));
    }
}
