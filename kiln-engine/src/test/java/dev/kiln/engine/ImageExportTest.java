package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.ImageReference;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.Exporters;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.layer.LayerCompression;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.RegistryProxy;
import dev.kiln.oci.testing.Tools;
import dev.kiln.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The image exporter against a real registry on 127.0.0.1, checked with skopeo. */
class ImageExportTest extends EngineWithBusybox {

    static final Instant EPOCH = Instant.parse("2024-06-01T12:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();

    /** The busybox base with one RUN step that writes a file. */
    State greeting(String base, String text) {
        return State.image(base)
                .run(RunOption.sh("echo " + text + " > /greeting"))
                .root();
    }

    /** Builds {@link #greeting} on the busybox base and pushes it as {@code name}. */
    BuildOutcome pushGreeting(String name, String text, ImageOptions options) throws Exception {
        return kiln.build(greeting(busybox.toString(), text), push(name, options));
    }

    static ExportTarget.Image push(String name, ImageOptions options) {
        return new ExportTarget.Image(List.of(name), true, options);
    }

    static String fact(BuildOutcome outcome, String key) {
        return new String(outcome.result().metadata(key).orElseThrow(), StandardCharsets.UTF_8);
    }

    @Test
    void pushedImageHasTheBaseLayerAndTheRunLayerAndBuildsOnAgain() throws Exception {
        String name = registry.host() + "/apps/greeter:1";

        BuildOutcome pushed = pushGreeting(name, "hello-from-run", ImageOptions.defaults());

        JsonNode inspected = Tools.skopeoInspect(tmp, "docker://" + name);
        assertThat(inspected.get("Digest").asText()).isEqualTo(fact(pushed, Exporters.IMAGE_DIGEST));
        assertThat(inspected.get("Layers")).hasSize(2);
        assertThat(inspected.get("Layers").get(0).asText())
                .isEqualTo(baseLayer().digest().toString());
        assertThat(inspected.get("Env").toString()).contains("PATH=");
        JsonNode config = Tools.skopeoInspect(tmp, "docker://" + name, "--config");
        assertThat(config.get("rootfs").get("diff_ids")).hasSize(2);
        assertThat(config.get("history")).hasSize(2);
        assertThat(fact(pushed, Exporters.CONFIG_DIGEST)).startsWith("sha256:");
        assertThat(fact(pushed, Exporters.IMAGE_NAME)).isEqualTo(name);

        Path out = kiln.build(
                State.image(name).run(RunOption.sh("cat /greeting > /copied")).root());
        assertThat(out.resolve("copied")).hasContent("hello-from-run\n");
        assertThat(out.resolve("bin/busybox")).isRegularFile();
    }

    @Test
    void sameInputsWithSourceDateEpochGiveTheSameManifestDigestInAnotherStateDirectory() throws Exception {
        // buildx's reproducible recipe: SOURCE_DATE_EPOCH and rewrite-timestamp, which also clamps the RUN's file times
        ImageOptions reproducible =
                ImageOptions.defaults().withSourceDateEpoch(EPOCH).withRewriteTimestamp(true);
        State state = greeting(busybox.toString(), "reproducible");
        String first;
        String second;
        try (EngineFixture one = new EngineFixture(tmp.resolve("repro-1"))) {
            first = fact(
                    one.build(state, push(registry.host() + "/repro/one:1", reproducible)), Exporters.IMAGE_DIGEST);
        }
        try (EngineFixture two = new EngineFixture(tmp.resolve("repro-2"))) {
            second = fact(
                    two.build(state, push(registry.host() + "/repro/two:1", reproducible)), Exporters.IMAGE_DIGEST);
        }

        assertThat(second).isEqualTo(first);
        JsonNode config = Tools.skopeoInspect(tmp, "docker://" + registry.host() + "/repro/one:1", "--config");
        assertThat(config.get("created").asText()).isEqualTo("2024-06-01T12:00:00Z");
        assertThat(config.get("history").findValuesAsText("created"))
                .allMatch(t -> !Instant.parse(t).isAfter(EPOCH));
    }

    @Test
    void touchingACopiedFileWithoutChangingItKeepsTheDigest() throws Exception {
        Path context = kiln.context("touched");
        Files.writeString(context.resolve("app.txt"), "same content\n");
        State state =
                State.image(busybox.toString()).file(FileAction.copy(State.local("touched"), "/app.txt", "/app.txt"));
        ExportTarget.Image target = new ExportTarget.Image(
                List.of(),
                false,
                ImageOptions.defaults().withSourceDateEpoch(EPOCH).withRewriteTimestamp(true));

        String before = fact(kiln.build(state, target), Exporters.IMAGE_DIGEST);
        Files.writeString(context.resolve("app.txt"), "same content\n");
        Files.setLastModifiedTime(
                context.resolve("app.txt"),
                java.nio.file.attribute.FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));
        String after = fact(kiln.build(state, target), Exporters.IMAGE_DIGEST);

        assertThat(after).isEqualTo(before);
    }

    @Test
    void secondExportReusesTheBlobsTheFirstWrote() throws Exception {
        State state = greeting(busybox.toString(), "written-once");
        ExportTarget.Image target = new ExportTarget.Image(List.of("reuse/app:1"), false, ImageOptions.defaults());

        String first = fact(kiln.build(state, target), Exporters.IMAGE_DIGEST);
        assertThat(exportLog()).contains("compressing layer");
        String second = fact(kiln.build(state, target), Exporters.IMAGE_DIGEST);

        assertThat(second).isEqualTo(first);
        assertThat(exportLog()).contains("exporting layers").doesNotContain("compressing layer");
    }

    /** What the export step logged during the last build, with the layers the build wrote ahead of it. */
    private String exportLog() {
        StringBuilder log = new StringBuilder();
        for (dev.kiln.solver.ProgressEvent event : List.copyOf(kiln.events)) {
            if (event instanceof dev.kiln.solver.ProgressEvent.VertexLog line
                    && (line.vertexName().equals("exporting to image")
                            || line.vertexName().equals("compressing layers ahead of the export"))) {
                log.append(new String(line.data(), StandardCharsets.UTF_8));
            }
        }
        return log.toString();
    }

    @Test
    void pushingOnTopOfAPulledBaseNeverUploadsTheBaseLayer() throws Exception {
        try (RegistryProxy proxy = RegistryProxy.start(registry.host())) {
            String base = proxy.host() + "/library/busybox:1";
            String name = proxy.host() + "/mounted/app:1";

            kiln.build(greeting(base, "mounted"), push(name, ImageOptions.defaults()));

            List<String> uploads = uploads(proxy, "/v2/mounted/app/");
            assertThat(uploads)
                    .as("uploads: the RUN layer and the config only, the base was mounted " + proxy.requests())
                    .hasSize(2);
            assertThat(proxy.requests())
                    .contains("HEAD /v2/mounted/app/blobs/" + baseLayer().digest());

            int before = proxy.requests().size();
            kiln.build(greeting(base, "mounted"), push(proxy.host() + "/mounted/app:again", ImageOptions.defaults()));
            assertThat(uploads(proxy, "/v2/mounted/app/").size())
                    .as("a second push finds every blob there")
                    .isEqualTo(2);
            assertThat(proxy.requests().subList(before, proxy.requests().size()))
                    .anyMatch(r -> r.startsWith("PUT /v2/mounted/app/manifests/again"));
        }
        JsonNode inspected = Tools.skopeoInspect(tmp, "docker://" + registry.host() + "/mounted/app:1");
        assertThat(inspected.get("Layers").get(0).asText())
                .isEqualTo(baseLayer().digest().toString());
    }

    private static List<String> uploads(RegistryProxy proxy, String repository) {
        return proxy.requests().stream()
                .filter(r -> r.startsWith("PUT " + repository + "blobs/uploads/"))
                .toList();
    }

    @Test
    void zstdAndUncompressedLayersAreListedUnderTheirMediaTypes() throws Exception {
        String zstd = registry.host() + "/compressed/zstd:1";
        String plain = registry.host() + "/compressed/plain:1";
        String mixed = registry.host() + "/compressed/mixed:1";

        pushGreeting(
                zstd,
                "zstd",
                ImageOptions.defaults().withCompression(LayerCompression.ZSTD).withForceCompression(true));
        pushGreeting(
                plain,
                "plain",
                ImageOptions.defaults().withCompression(LayerCompression.NONE).withForceCompression(true));
        pushGreeting(mixed, "mixed", ImageOptions.defaults().withCompression(LayerCompression.ZSTD));

        assertThat(layerTypes(zstd)).containsExactly(MediaTypes.OCI_LAYER_ZSTD, MediaTypes.OCI_LAYER_ZSTD);
        assertThat(layerTypes(plain)).containsExactly(MediaTypes.OCI_LAYER, MediaTypes.OCI_LAYER);
        assertThat(layerTypes(mixed))
                .as("without force, the base keeps the blob it was pulled as")
                .containsExactly(MediaTypes.OCI_LAYER_GZIP, MediaTypes.OCI_LAYER_ZSTD);
        Path out = kiln.build(
                State.image(zstd).run(RunOption.sh("cat /greeting > /copied")).root());
        assertThat(out.resolve("copied")).hasContent("zstd\n");
    }

    @Test
    void compressionLevelIsHonouredAndGivesItsOwnBlob() throws Exception {
        String fast = registry.host() + "/levels/fast:1";
        String best = registry.host() + "/levels/best:1";
        State state = State.image(busybox.toString())
                .run(RunOption.sh("cat /bin/busybox > /copy"))
                .root();

        kiln.build(state, push(fast, ImageOptions.defaults().withCompressionLevel(1)));
        kiln.build(state, push(best, ImageOptions.defaults().withCompressionLevel(9)));

        JsonNode fastLayer = raw(fast).get("layers").get(1);
        JsonNode bestLayer = raw(best).get("layers").get(1);
        assertThat(bestLayer.get("digest").asText())
                .isNotEqualTo(fastLayer.get("digest").asText());
        assertThat(bestLayer.get("size").asLong())
                .isLessThan(fastLayer.get("size").asLong());
        assertThat(Tools.skopeoInspect(tmp, "docker://" + best, "--config")
                        .get("rootfs")
                        .get("diff_ids")
                        .get(1))
                .isEqualTo(Tools.skopeoInspect(tmp, "docker://" + fast, "--config")
                        .get("rootfs")
                        .get("diff_ids")
                        .get(1));
    }

    @Test
    void dockerMediaTypesWhenOciMediaTypesIsOff() throws Exception {
        String name = registry.host() + "/docker/types:1";

        pushGreeting(name, "docker", ImageOptions.defaults().withOciMediaTypes(false));

        JsonNode manifest = raw(name);
        assertThat(manifest.get("mediaType").asText()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
        assertThat(manifest.get("config").get("mediaType").asText()).isEqualTo(MediaTypes.DOCKER_CONFIG);
        assertThat(manifest.get("layers").findValuesAsText("mediaType")).containsOnly(MediaTypes.DOCKER_LAYER_GZIP);
    }

    @Test
    void manifestAnnotationsAreWritten() throws Exception {
        String name = registry.host() + "/annotated/app:1";

        pushGreeting(
                name,
                "annotated",
                ImageOptions.defaults().withManifestAnnotations(Map.of("org.opencontainers.image.title", "greeter")));

        assertThat(raw(name)
                        .get("annotations")
                        .get("org.opencontainers.image.title")
                        .asText())
                .isEqualTo("greeter");
    }

    @Test
    void emptyLayersAreLeftOutAndTheirHistoryMarkedEmpty() throws Exception {
        String name = registry.host() + "/empty/layers:1";
        // Removing what is not there changes nothing: the step's layer has no entries.
        State state = State.image(busybox.toString())
                .file(FileAction.rm("/not-there", dev.kiln.llb.RmOption.allowNotFound()));

        kiln.build(state.run(RunOption.sh("echo x > /x")).root(), push(name, ImageOptions.defaults()));

        JsonNode config = Tools.skopeoInspect(tmp, "docker://" + name, "--config");
        int layers = config.get("rootfs").get("diff_ids").size();
        long nonEmpty = java.util.stream.StreamSupport.stream(
                        config.get("history").spliterator(), false)
                .filter(h -> !h.path("empty_layer").asBoolean(false))
                .count();
        assertThat(nonEmpty).isEqualTo(layers);
        assertThat(raw(name).get("layers")).hasSize(layers);
    }

    @Test
    void imageWithoutPushIsNamedInTheLocalStore() throws Exception {
        try (EngineFixture local = new EngineFixture(tmp.resolve("local-names"))) {
            BuildOutcome outcome = local.build(
                    greeting(busybox.toString(), "local"),
                    new ExportTarget.Image(
                            List.of("example.com/local/app:2", "plain"), false, ImageOptions.defaults()));
            local.engine.close();
            try (Worker worker = Worker.open(tmp.resolve("local-names/state/worker"), "auto")) {
                assertThat(worker.images()
                                .namedImage(ImageReference.parseNormalized("example.com/local/app:2"))
                                .orElseThrow()
                                .digest()
                                .toString())
                        .isEqualTo(fact(outcome, Exporters.IMAGE_DIGEST));
                assertThat(worker.images().namedImage(ImageReference.parseNormalized("docker.io/library/plain:latest")))
                        .isPresent();
                assertThat(worker.images().namedImage(ImageReference.parseNormalized("plain:other")))
                        .isEmpty();
            }
            local.reopen();
        }
    }

    @Test
    void pushWithoutANameOrWithADigestIsRefusedClearly() {
        assertThatThrownBy(() -> new ExportTarget.Image(List.of(), true, ImageOptions.defaults()))
                .hasMessageContaining("push=true needs an image name");
        assertThatThrownBy(() ->
                        new ExportTarget.Image(List.of("app@sha256:" + "a".repeat(64)), true, ImageOptions.defaults()))
                .hasMessageContaining("has a digest");
        assertThatThrownBy(() -> new ExportTarget.Image(List.of("Bad Name"), false, ImageOptions.defaults()))
                .hasMessageContaining("invalid image reference");
    }

    @Test
    void pushToARegistryThatIsNotThereNamesTheRegistry() throws Exception {
        String name = "127.0.0.1:9/nowhere/app:1";

        assertThatThrownBy(() -> pushGreeting(name, "nowhere", ImageOptions.defaults()))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("127.0.0.1:9");
    }

    private JsonNode raw(String name) throws Exception {
        return JSON.readTree(Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + name));
    }

    private List<String> layerTypes(String name) throws Exception {
        return raw(name).get("layers").findValuesAsText("mediaType");
    }

    private Descriptor baseLayer() throws Exception {
        try (RegistryClient client = RegistryClient.builder().build()) {
            return client.resolveImage(busybox, dev.kiln.core.Platform.current())
                    .layers()
                    .getFirst();
        }
    }
}
