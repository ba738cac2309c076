package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.engine.cache.CacheExport;
import dev.kiln.engine.cache.CacheImport;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.CacheConfig;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.registry.FetchedManifest;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.RegistryProxy;
import dev.kiln.solver.ProgressEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Cache export to a real registry on 127.0.0.1 from one state and import on a fresh one: {@code type=registry} as an
 * image manifest (the default) or an index, mode=max and mode=min, {@code type=inline} in a pushed image's config,
 * and a registry that serves a wrong layer blob. What the registry holds is read back with Kiln's registry client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryCacheTest extends TwoEngines {

    LocalRegistry registry;
    RegistryClient client;

    @BeforeAll
    void startRegistry() throws IOException {
        registry = LocalRegistry.anonymous().start();
        client = RegistryClient.builder().build();
    }

    @AfterAll
    void stopRegistry() throws IOException {
        client.close();
        registry.close();
    }

    static State oneStage() {
        return EngineFixture.base()
                .run(RunOption.sh("head -c 32 /dev/urandom | od -x > /rand"), OpOption.customName("random"))
                .root();
    }

    /** Builds {@code state} on the fresh state b, its cache imported from {@code ref}, into out-b. */
    Path buildOnBFrom(State state, String ref) throws Exception {
        return buildOnBFrom(state, cacheFrom(ref));
    }

    CacheExport cacheTo(String ref, String... attrs) {
        Map<String, String> all = new java.util.HashMap<>(Map.of("ref", ref));
        for (int i = 0; i < attrs.length; i += 2) {
            all.put(attrs[i], attrs[i + 1]);
        }
        return CacheExport.of("registry", all);
    }

    static CacheImport cacheFrom(String ref) {
        return CacheImport.of("registry", Map.of("ref", ref));
    }

    static List<String> logLines(EngineFixture kiln, String vertex) {
        return kiln.events.stream()
                .filter(e -> e instanceof ProgressEvent.VertexLog log
                        && e.vertexName().equals(vertex))
                .map(e -> new String(((ProgressEvent.VertexLog) e).data(), StandardCharsets.UTF_8).strip())
                .toList();
    }

    static Duration stepTime(EngineFixture kiln, String vertex) {
        return kiln.events.stream()
                .filter(e -> e instanceof ProgressEvent.VertexCompleted
                        && e.vertexName().equals(vertex))
                .map(e -> ((ProgressEvent.VertexCompleted) e).duration())
                .findFirst()
                .orElseThrow();
    }

    @Test
    void modeMaxPushedAsAnImageManifestMakesEveryStepACacheHitOnAFreshState() throws Exception {
        String ref = registry.host() + "/cache:max";
        Path outA = dir.resolve("out-a");
        BuildOutcome built =
                build(a, CacheExportImportTest.twoStages(), outA, List.of(cacheTo(ref, "mode", "max")), List.of());
        assertThat(a.executed()).contains("random", "copy rand", "exporting cache to registry");
        Duration export = stepTime(a, "exporting cache to registry");
        System.out.println("registry cache export took " + export.toMillis() + " ms of a build of "
                + built.elapsed().toMillis() + " ms");

        // What the registry holds: an OCI image manifest whose config is the cache config, layers annotated.
        FetchedManifest pushed = client.fetchManifest(ImageReference.parseNormalized(ref));
        assertThat(pushed.descriptor().mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        ImageManifest manifest = pushed.manifest();
        assertThat(manifest.config().mediaType()).isEqualTo(CacheConfig.MEDIA_TYPE);
        assertThat(manifest.layers()).isNotEmpty().allSatisfy(layer -> {
            assertThat(layer.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
            assertThat(layer.annotations()).containsKeys("containerd.io/uncompressed", "buildkit/createdat");
        });
        CacheConfig config =
                CacheConfig.parse(client.fetchBlob(ImageReference.parseNormalized(ref), manifest.config()));
        assertThat(config.records()).hasSizeGreaterThanOrEqualTo(3);

        Path outB = buildOnBFrom(CacheExportImportTest.twoStages(), ref);
        assertThat(b.executed()).doesNotContain("random", "copy rand");
        assertThat(b.cached()).contains("random", "copy rand");
        assertThat(Files.readString(outB.resolve("rand"))).isEqualTo(Files.readString(outA.resolve("rand")));

        // Exported again, nothing new: every layer is found with HEAD and not sent again.
        BuildOutcome again = build(
                a,
                CacheExportImportTest.twoStages(),
                dir.resolve("out-a2"),
                List.of(cacheTo(ref, "mode", "max")),
                List.of());
        System.out.println("registry cache export again (blobs present) took "
                + stepTime(a, "exporting cache to registry").toMillis() + " ms of a cached build of "
                + again.elapsed().toMillis() + " ms");
        assertThat(logLines(a, "exporting cache to registry"))
                .filteredOn(line -> line.startsWith("layer "))
                .isNotEmpty()
                .allSatisfy(line -> assertThat(line).contains("already in"));
    }

    @Test
    void modeMinLeavesOutTheStageTheResultDoesNotContain() throws Exception {
        String ref = registry.host() + "/cache:min";
        Path outA = buildOnATo(CacheExportImportTest.twoStages(), cacheTo(ref));

        Path outB = buildOnBFrom(CacheExportImportTest.twoStages(), ref);
        assertThat(b.executed()).contains("random");
        assertThat(Files.readString(outB.resolve("rand"))).isNotEqualTo(Files.readString(outA.resolve("rand")));
    }

    @Test
    void imageManifestFalsePushesAnIndexOfTheBlobsThatImportsToo() throws Exception {
        String ref = registry.host() + "/cache:index";
        Path outA = buildOnATo(oneStage(), cacheTo(ref, "image-manifest", "false"));
        FetchedManifest pushed = client.fetchManifest(ImageReference.parseNormalized(ref));
        assertThat(pushed.descriptor().mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
        ImageIndex index = (ImageIndex) pushed.document();
        assertThat(index.manifests())
                .extracting(d -> d.mediaType())
                .contains(CacheConfig.MEDIA_TYPE, MediaTypes.OCI_LAYER_GZIP);

        Path outB = buildOnBFrom(oneStage(), ref);
        assertThat(b.executed()).doesNotContain("random");
        assertThat(Files.readString(outB.resolve("rand"))).isEqualTo(Files.readString(outA.resolve("rand")));
    }

    @Test
    void inlineCacheInAPushedImageConfigMakesTheRunACacheHitOnAFreshState() throws Exception {
        String name = registry.host() + "/app:inline";
        Path outA = dir.resolve("out-a");
        build(
                a,
                oneStage(),
                List.of(
                        new ExportTarget.Image(List.of(name), true, ImageOptions.defaults()),
                        new ExportTarget.LocalDirectory(outA)),
                List.of(CacheExport.of("inline", Map.of())),
                List.of());

        // The image config carries the records, base64 as Go writes a byte slice, their results the image's layers.
        ImageReference image = ImageReference.parseNormalized(name);
        ImageManifest manifest = client.fetchManifest(image).manifest();
        ImageConfig config = ImageConfig.parse(client.fetchBlob(image, manifest.config()));
        JsonNode inline = config.unknownFields().get("moby.buildkit.cache.v0");
        assertThat(inline).isNotNull();
        List<CacheConfig.Layer> layers = new java.util.ArrayList<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            layers.add(new CacheConfig.Layer(manifest.layers().get(i).digest(), i - 1));
        }
        CacheConfig records =
                CacheConfig.parseInline(layers, Base64.getDecoder().decode(inline.asText()));
        assertThat(records.records())
                .anySatisfy(record -> assertThat(record.results())
                        .singleElement()
                        .satisfies(result -> assertThat(result.layer())
                                .isEqualTo(manifest.layers().size() - 1)));

        Path outB = buildOnBFrom(oneStage(), name);
        assertThat(b.executed()).doesNotContain("random");
        assertThat(b.cached()).contains("random");
        assertThat(Files.readString(outB.resolve("rand"))).isEqualTo(Files.readString(outA.resolve("rand")));
    }

    @Test
    void anImageWithoutInlineCacheIsAWarningAndTheStepsRun() throws Exception {
        String name = registry.host() + "/app:plain";
        build(
                a,
                oneStage(),
                List.of(new ExportTarget.Image(List.of(name), true, ImageOptions.defaults())),
                List.of(),
                List.of());
        BuildOutcome outcome = build(b, oneStage(), dir.resolve("out-b"), List.of(), List.of(cacheFrom(name)));
        assertThat(b.executed()).contains("random");
        assertThat(outcome.warnings())
                .anySatisfy(warning -> assertThat(warning.toString()).contains("without an inline cache"));
    }

    @Test
    void aLayerBlobTheRegistryServesWrongIsNamedAndTheStepRuns() throws Exception {
        String ref = registry.host() + "/cache:bad";
        build(a, oneStage(), dir.resolve("out-a"), List.of(cacheTo(ref, "mode", "max")), List.of());
        ImageManifest manifest =
                client.fetchManifest(ImageReference.parseNormalized(ref)).manifest();
        Digest damaged = manifest.layers().getLast().digest();
        try (RegistryProxy proxy = RegistryProxy.start(registry.host()).corrupt(damaged)) {
            Path outB = buildOnBFrom(oneStage(), proxy.host() + "/cache:bad");
            assertThat(b.executed()).contains("random");
            assertThat(Files.readString(outB.resolve("rand"))).isNotEmpty();
            assertThat(b.events)
                    .filteredOn(e -> e instanceof ProgressEvent.VertexWarning)
                    .extracting(e -> ((ProgressEvent.VertexWarning) e).message())
                    .anySatisfy(message -> assertThat(message).contains(damaged.toString(), "this step runs"));
        }
    }

    @Test
    void cacheMountsPushedWithTheCacheAreWarmOnAFreshStateAndADamagedOneIsNamedAndLeftCold() throws Exception {
        String ref = registry.host() + "/cache:mounts";
        Path outA = buildOnATo(
                CacheExportImportTest.usesPackageCache("fill"), cacheTo(ref, "mode", "max", "cache-mounts", "true"));
        String index = Files.readString(outA.resolve("seen-fill"));
        ImageManifest manifest =
                client.fetchManifest(ImageReference.parseNormalized(ref)).manifest();
        Digest mountBlob = manifest.layers().stream()
                .filter(layer -> "packages".equals(layer.annotations().get("dev.kiln.cache-mount.id")))
                .findFirst()
                .orElseThrow()
                .digest();

        Path outB = buildOnBFrom(CacheExportImportTest.usesPackageCache("read"), ref);
        assertThat(Files.readString(outB.resolve("seen-read"))).isEqualTo(index);

        try (EngineFixture c = new EngineFixture(dir.resolve("c"));
                RegistryProxy proxy = RegistryProxy.start(registry.host()).corrupt(mountBlob)) {
            Path outC = dir.resolve("out-c");
            BuildOutcome cold = build(
                    c,
                    CacheExportImportTest.usesPackageCache("read"),
                    outC,
                    List.of(),
                    List.of(cacheFrom(proxy.host() + "/cache:mounts")));
            assertThat(Files.readString(outC.resolve("seen-read"))).isNotEqualTo(index);
            assertThat(cold.warnings())
                    .extracting(Warning::message)
                    .anySatisfy(message -> assertThat(message).contains("cache mounts of", mountBlob.toString()));
        }
    }

    @Test
    void onlyTheLayerBlobsOfStepsThatHitAreFetched() throws Exception {
        String ref = registry.host() + "/cache:lazy";
        build(
                a,
                CacheExportImportTest.twoStages(),
                dir.resolve("out-a"),
                List.of(cacheTo(ref, "mode", "max")),
                List.of());
        ImageManifest manifest =
                client.fetchManifest(ImageReference.parseNormalized(ref)).manifest();
        // The base's layer, then the one layer the RUN and the copy both add (/rand, the same bytes).
        assertThat(manifest.layers()).hasSize(2);
        Digest runLayer = manifest.layers().getLast().digest();
        try (RegistryProxy proxy = RegistryProxy.start(registry.host())) {
            // The base alone: its layer may come from the cache; the RUN's is not asked for.
            build(
                    b,
                    EngineFixture.base(),
                    dir.resolve("out-b"),
                    List.of(),
                    List.of(cacheFrom(proxy.host() + "/cache:lazy")));
            assertThat(proxy.requests()).noneMatch(request -> request.contains(runLayer.toString()));
            assertThat(proxy.requests())
                    .anyMatch(request ->
                            request.contains(manifest.config().digest().toString()));
        }
    }

    @Test
    void anImageOfImportedStepsIsPushedFromTheCacheBlobsWithoutUnpackingThem() throws Exception {
        String ref = registry.host() + "/cache:as-image";
        Path outA = buildOnATo(CacheExportImportTest.twoStages(), cacheTo(ref, "mode", "max"));
        List<Digest> cacheBlobs = client.fetchManifest(ImageReference.parseNormalized(ref)).manifest().layers().stream()
                .map(layer -> layer.digest())
                .toList();

        String image = registry.host() + "/imported/app:1";
        build(
                b,
                CacheExportImportTest.twoStages(),
                List.of(new ExportTarget.Image(List.of(image), true, ImageOptions.defaults())),
                List.of(),
                List.of(cacheFrom(ref)));
        assertThat(b.executed()).doesNotContain("random", "copy rand");
        assertThat(b.events)
                .filteredOn(e -> e instanceof ProgressEvent.VertexLog)
                .extracting(e -> new String(((ProgressEvent.VertexLog) e).data(), StandardCharsets.UTF_8))
                .anyMatch(line -> line.contains("layer blobs of the cache import as they are (not unpacked)"));
        List<Digest> pushed = client.fetchManifest(ImageReference.parseNormalized(image)).manifest().layers().stream()
                .map(layer -> layer.digest())
                .toList();
        assertThat(cacheBlobs).containsAll(pushed);

        // The pushed image holds the imported bytes: a step on it reads A's random file.
        Path outB = dir.resolve("out-b-image");
        build(b, State.image(image).run(RunOption.sh("cp /rand /seen")).root(), outB, List.of(), List.of());
        assertThat(Files.readString(outB.resolve("seen"))).isEqualTo(Files.readString(outA.resolve("rand")));
    }

    @Test
    void registryAttributesAreChecked() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CacheExport.of("registry", Map.of()))
                .hasMessageContaining("needs ref=");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CacheExport.of(
                        "registry", Map.of("ref", "r/x:1", "oci-mediatypes", "false", "image-manifest", "true")))
                .hasMessageContaining("image-manifest=true needs OCI media types");
        assertThat(CacheExport.of("registry", Map.of("ref", "r/x:1", "oci-mediatypes", "false")))
                .isInstanceOfSatisfying(
                        CacheExport.Registry.class,
                        r -> assertThat(r.imageManifest()).isFalse());
    }
}
