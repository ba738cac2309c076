package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.cache.CacheExport;
import dev.kiln.engine.cache.CacheImport;
import dev.kiln.llb.CacheSharing;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.Mount;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.CacheConfig;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.solver.ProgressEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Cache export to a directory on one state and import on a fresh one: the steps come from the cache (a RUN that
 * writes random bytes gives the same bytes), mode=min leaves out the steps of stages the result does not contain,
 * and a damaged layer blob is named in a warning while the step runs.
 */
class CacheExportImportTest extends TwoEngines {

    /** Two stages: the first writes random bytes, the result copies them onto the base. */
    static State twoStages() {
        State random = twoStagesRandom();
        return EngineFixture.base().file(FileAction.copy(random, "/rand", "/rand"), OpOption.customName("copy rand"));
    }

    static CacheExport cacheTo(Path cache, String mode) {
        return CacheExport.of("local", Map.of("dest", cache.toString(), "mode", mode));
    }

    static CacheImport cacheFrom(Path cache) {
        return CacheImport.of("local", Map.of("src", cache.toString()));
    }

    /** A step that keeps random bytes in a cache mount (made once per mount) and shows what the mount holds. */
    static State usesPackageCache(String name) {
        return EngineFixture.base()
                .run(
                        RunOption.sh("[ -f /pkgs/index ] || head -c 32 /dev/urandom | od -x > /pkgs/index; "
                                + "cp /pkgs/index /seen-" + name),
                        RunOption.mount("/pkgs", Mount.cache("packages", CacheSharing.LOCKED)),
                        OpOption.customName(name))
                .root();
    }

    @Test
    void cacheMountsTravelWithACacheExportThatAsksAndAreWarmOnAFreshState() throws Exception {
        Path cache = dir.resolve("cache");
        CacheExport withMounts =
                CacheExport.of("local", Map.of("dest", cache.toString(), "mode", "max", "cache-mounts", "true"));
        Path outA = buildOnATo(usesPackageCache("fill"), withMounts);
        String index = Files.readString(outA.resolve("seen-fill"));

        ImageManifest manifest = cacheManifest(cache);
        assertThat(manifest.layers())
                .filteredOn(layer -> layer.annotations().containsKey("dev.kiln.cache-mount.id"))
                .singleElement()
                .satisfies(
                        layer -> assertThat(layer.annotations()).containsEntry("dev.kiln.cache-mount.id", "packages"));

        // A step that is in no cache runs on the fresh state, and finds the mount as state A left it.
        Path outB = buildOnBFrom(usesPackageCache("read"), cacheFrom(cache));
        assertThat(b.executed()).contains("read");
        assertThat(Files.readString(outB.resolve("seen-read"))).isEqualTo(index);
    }

    @Test
    void withoutCacheMountsTrueNoMountTravels() throws Exception {
        Path cache = dir.resolve("cache");
        Path outA = buildOnATo(usesPackageCache("fill"), cacheTo(cache, "max"));
        String index = Files.readString(outA.resolve("seen-fill"));

        Path outB = buildOnBFrom(usesPackageCache("read"), cacheFrom(cache));
        assertThat(Files.readString(outB.resolve("seen-read"))).isNotEqualTo(index);
    }

    @Test
    void modeMaxOnOneStateMakesEveryStepACacheHitOnAFreshState() throws Exception {
        Path cache = dir.resolve("cache");
        Path outA = buildOnATo(twoStages(), cacheTo(cache, "max"));
        assertThat(a.executed()).contains("random", "copy rand");
        assertThat(a.events)
                .anyMatch(e -> e instanceof ProgressEvent.VertexCompleted
                        && e.vertexName().equals("exporting cache to client directory"));

        // The layout BuildKit writes: index.json names an image manifest whose config is the cache config.
        ImageIndex index = ImageIndex.parse(Files.readAllBytes(cache.resolve("index.json")));
        assertThat(index.manifests())
                .singleElement()
                .satisfies(
                        m -> assertThat(m.annotations()).containsEntry("org.opencontainers.image.ref.name", "latest"));
        ImageManifest manifest = cacheManifest(cache);
        assertThat(manifest.config().mediaType()).isEqualTo("application/vnd.buildkit.cacheconfig.v0");
        CacheConfig config = CacheConfig.parse(Files.readAllBytes(
                cache.resolve("blobs/sha256").resolve(manifest.config().digest().hex())));
        assertThat(config.records()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(manifest.layers()).allSatisfy(layer -> {
            assertThat(layer.annotations()).containsKey("containerd.io/uncompressed");
            assertThat(cache.resolve("blobs/sha256").resolve(layer.digest().hex()))
                    .isRegularFile();
        });

        Path outB = buildOnBFrom(twoStages(), cacheFrom(cache));
        assertThat(b.executed()).doesNotContain("random", "copy rand");
        assertThat(b.cached()).contains("random", "copy rand");
        assertThat(Files.readString(outB.resolve("rand"))).isEqualTo(Files.readString(outA.resolve("rand")));

        // Imported steps are this state's cache now: the next build needs no import.
        Path again = dir.resolve("out-b-again");
        build(b, twoStages(), again, List.of(), List.of());
        assertThat(b.executed()).isEmpty();
        assertThat(Files.readString(again.resolve("rand"))).isEqualTo(Files.readString(outA.resolve("rand")));
    }

    @Test
    void aStageWhoseDependantsAllHitIsNotUnpackedUntilAStepUsesIt() throws Exception {
        Path cache = dir.resolve("cache");
        Path outA = buildOnATo(twoStages(), cacheTo(cache, "max"));

        // Exported again to a cache of its own: the imported steps' layers go out as the blobs they came in as.
        Path outB = dir.resolve("out-b");
        Path again = dir.resolve("cache-again");
        build(b, twoStages(), outB, List.of(cacheTo(again, "max")), List.of(cacheFrom(cache)));
        assertThat(b.cached()).contains("random", "copy rand");
        assertThat(RegistryCacheTest.logLines(b, "random")).noneMatch(line -> line.contains("unpacking"));
        assertThat(RegistryCacheTest.logLines(b, "exporting cache to client directory"))
                .anyMatch(line -> line.contains("layer blobs of the cache import as they are (not unpacked)"));
        assertThat(Files.readString(outB.resolve("rand"))).isEqualTo(Files.readString(outA.resolve("rand")));
        assertThat(layerBlobs(again)).containsExactlyInAnyOrderElementsOf(layerBlobs(cache));

        // A later build on the same state whose new step runs on that stage unpacks it then, with the imported bytes.
        State reads = twoStagesRandom()
                .run(RunOption.sh("cp /rand /seen"), OpOption.customName("read rand"))
                .root();
        Path outC = dir.resolve("out-c");
        build(b, reads, outC, List.of(), List.of());
        assertThat(b.executed()).containsExactly("read rand");
        assertThat(Files.readString(outC.resolve("seen"))).isEqualTo(Files.readString(outA.resolve("rand")));
    }

    /** The manifest a local cache's index.json names first. */
    static ImageManifest cacheManifest(Path cache) throws java.io.IOException {
        ImageIndex index = ImageIndex.parse(Files.readAllBytes(cache.resolve("index.json")));
        return ImageManifest.parse(Files.readAllBytes(cache.resolve("blobs/sha256")
                .resolve(index.manifests().getFirst().digest().hex())));
    }

    /** The layer blobs a local cache's manifest lists. */
    static List<String> layerBlobs(Path cache) throws java.io.IOException {
        return cacheManifest(cache).layers().stream()
                .map(layer -> layer.digest().toString())
                .toList();
    }

    /** The first stage of {@link #twoStages()}. */
    static State twoStagesRandom() {
        return EngineFixture.base()
                .run(RunOption.sh("head -c 32 /dev/urandom | od -x > /rand"), OpOption.customName("random"))
                .root();
    }

    @Test
    void modeMinLeavesOutAStageTheResultDoesNotContain() throws Exception {
        Path cache = dir.resolve("cache-min");
        Path outA = buildOnATo(twoStages(), cacheTo(cache, "min"));

        Path outB = buildOnBFrom(twoStages(), cacheFrom(cache));
        assertThat(b.executed()).contains("random");
        assertThat(Files.readString(outB.resolve("rand"))).isNotEqualTo(Files.readString(outA.resolve("rand")));

        // The result's own chain is in a min export: a one-stage build's RUN comes from it.
        State oneStage = EngineFixture.base()
                .run(RunOption.sh("head -c 32 /dev/urandom | od -x > /only"), OpOption.customName("only"))
                .root();
        Path cacheOne = dir.resolve("cache-one");
        Path oneA = dir.resolve("one-a");
        build(a, oneStage, oneA, List.of(cacheTo(cacheOne, "min")), List.of());
        Path oneB = dir.resolve("one-b");
        build(b, oneStage, oneB, List.of(), List.of(cacheFrom(cacheOne)));
        assertThat(b.executed()).doesNotContain("only");
        assertThat(Files.readString(oneB.resolve("only"))).isEqualTo(Files.readString(oneA.resolve("only")));
    }

    @Test
    void aLayerBlobThatDoesNotMatchItsDigestIsNamedAndTheStepRuns() throws Exception {
        Path cache = dir.resolve("cache-bad");
        State state = EngineFixture.base()
                .run(RunOption.sh("head -c 32 /dev/urandom | od -x > /rand"), OpOption.customName("random"))
                .root();
        buildOnATo(state, cacheTo(cache, "max"));
        ImageManifest manifest = cacheManifest(cache);
        var damaged = manifest.layers().getLast().digest();
        Path blob = cache.resolve("blobs/sha256").resolve(damaged.hex());
        byte[] bytes = Files.readAllBytes(blob);
        Files.delete(blob); // a hard link into state A's content store: replace it, do not write through it
        bytes[bytes.length / 2] ^= 0x55;
        Files.write(blob, bytes);

        Path outB = buildOnBFrom(state, cacheFrom(cache));
        assertThat(b.executed()).contains("random");
        assertThat(Files.readString(outB.resolve("rand"))).isNotEmpty();
        assertThat(b.events)
                .filteredOn(e -> e instanceof ProgressEvent.VertexWarning)
                .extracting(e -> ((ProgressEvent.VertexWarning) e).message())
                .anySatisfy(message -> assertThat(message)
                        .contains(damaged.toString(), "does not match its digest", "this step runs"));
    }

    @Test
    void anUnsupportedCacheTypeIsNamed() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CacheExport.of("gha", Map.of()))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("cache export type \"gha\" is not supported");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CacheImport.of("s3", Map.of()))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("cache import type \"s3\" is not supported");
    }

    /** As BuildKit's cache backends read them, with Go's strconv.ParseBool. */
    @Test
    void cacheFlagsTakeGosSpellings() {
        var local = (CacheExport.Local) CacheExport.of("local", Map.of("dest", "/c", "ignore-error", "T"));
        org.assertj.core.api.Assertions.assertThat(local.ignoreError()).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> CacheExport.of("local", Map.of("dest", "/c", "image-manifest", "0")))
                .hasMessageContaining("image-manifest=false");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> CacheExport.of("local", Map.of("dest", "/c", "ignore-error", "yes")))
                .hasMessageContaining("ignore-error must be true or false, not \"yes\"");
    }
}
