package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.Platform;
import dev.kiln.engine.export.ExportDefaults;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.Exporters;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.testing.ImageTar;
import dev.kiln.oci.testing.Tools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

/**
 * The attributes of BuildKit's image, oci and docker exporters that buildx's recipes give (reproducible builds,
 * multi-platform pushes by digest, layout directories), given as a user gives them ({@code --output type=...}), and
 * BuildKit's defaults where none is given.
 */
class BuildKitExportAttributesTest extends EngineWithBusybox {

    static final Instant EPOCH = Instant.parse("2024-06-01T12:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();

    final ExportDefaults noDefaults =
            new ExportDefaults(new ByteArrayOutputStream(), List.of(), false, Optional.empty(), Map.of());

    /** The busybox base with a RUN step that writes {@code /stamped} now, long after {@link #EPOCH}. */
    State stamped(String text) {
        return State.image(busybox.toString())
                .run(RunOption.sh("echo " + text + " > /stamped"))
                .root();
    }

    ExportTarget output(String type, Map<String, String> attrs) {
        return Exporters.resolve(type, attrs, noDefaults);
    }

    @Test
    void sourceDateEpochAloneLeavesFileTimesAndRewriteTimestampClampsThem() throws Exception {
        Path plain = tmp.resolve("epoch-only.tar");
        Path rewritten = tmp.resolve("rewritten.tar");
        String epoch = Long.toString(EPOCH.getEpochSecond());

        kiln.build(stamped("times"), output("oci", Map.of("dest", plain.toString(), "source-date-epoch", epoch)));
        kiln.build(
                stamped("times"),
                output(
                        "oci",
                        Map.of("dest", rewritten.toString(), "source-date-epoch", epoch, "rewrite-timestamp", "true")));

        assertThat(topLayerTime(plain, "stamped")).isAfter(EPOCH);
        assertThat(topLayerTime(rewritten, "stamped")).isEqualTo(EPOCH);
        for (Path archive : List.of(plain, rewritten)) {
            assertThat(config(archive).get("created").asText()).isEqualTo("2024-06-01T12:00:00Z");
        }
    }

    @Test
    void pushByDigestLeavesNoTagInTheRegistry() throws Exception {
        String name = registry.host() + "/bydigest/app";

        BuildOutcome pushed = kiln.build(
                stamped("by-digest"),
                output(
                        "image",
                        Map.of(
                                "name",
                                name + ":1",
                                "push",
                                "true",
                                "push-by-digest",
                                "true",
                                "name-canonical",
                                "true")));

        String digest = fact(pushed, Exporters.IMAGE_DIGEST);
        String tags = Tools.run(tmp, "curl", "-s", "http://" + registry.host() + "/v2/bydigest/app/tags/list");
        assertThat(tags).doesNotContain("\"1\"");
        // --raw: skopeo's inspect otherwise lists the tags, which a repository of untagged manifests has none of
        JsonNode manifest = Tools.skopeoInspect(tmp, "docker://" + name + "@" + digest, "--raw");
        assertThat(manifest.get("layers")).hasSize(2);
    }

    @Test
    void imageOutputPushesDockerMediaTypesUnlessOciMediaTypesIsOn() throws Exception {
        String docker = registry.host() + "/mediatypes/default:1";
        String oci = registry.host() + "/mediatypes/oci:1";

        kiln.build(stamped("types"), output("image", Map.of("name", docker, "push", "true")));
        kiln.build(stamped("types"), output("image", Map.of("name", oci, "push", "true", "oci-mediatypes", "true")));

        JsonNode dockerManifest = Tools.skopeoInspect(tmp, "docker://" + docker, "--raw");
        JsonNode ociManifest = Tools.skopeoInspect(tmp, "docker://" + oci, "--raw");
        assertThat(dockerManifest.get("mediaType").asText()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
        assertThat(dockerManifest.get("config").get("mediaType").asText()).isEqualTo(MediaTypes.DOCKER_CONFIG);
        assertThat(ociManifest.get("mediaType").asText()).isEqualTo(MediaTypes.OCI_MANIFEST);
    }

    @Test
    void tarFalseWritesTheLayoutDirectoryWhoseIndexListsPlatformAndCreated() throws Exception {
        Path dir = tmp.resolve("layout-dir");

        BuildOutcome outcome = kiln.build(
                stamped("directory"),
                output(
                        "oci",
                        Map.of(
                                "dest",
                                dir.toString(),
                                "tar",
                                "false",
                                "name",
                                "example.com/dir:1",
                                "source-date-epoch",
                                Long.toString(EPOCH.getEpochSecond()))));

        assertThat(dir.resolve("oci-layout")).content().contains("\"imageLayoutVersion\":\"1.0.0\"");
        JsonNode entry = JSON.readTree(dir.resolve("index.json").toFile())
                .get("manifests")
                .get(0);
        String digest = fact(outcome, Exporters.IMAGE_DIGEST);
        assertThat(entry.get("digest").asText()).isEqualTo(digest);
        assertThat(dir.resolve("blobs/sha256/" + digest.substring("sha256:".length())))
                .isRegularFile();
        Platform platform = Platform.current().normalize();
        assertThat(entry.get("platform").get("os").asText()).isEqualTo(platform.os());
        assertThat(entry.get("platform").get("architecture").asText()).isEqualTo(platform.architecture());
        assertThat(entry.get("annotations")
                        .get("org.opencontainers.image.created")
                        .asText())
                .isEqualTo("2024-06-01T12:00:00Z");
        assertThat(entry.get("annotations")
                        .get("org.opencontainers.image.ref.name")
                        .asText())
                .isEqualTo("1");

        JsonNode descriptor = JSON.readTree(Base64.getDecoder().decode(fact(outcome, Exporters.IMAGE_DESCRIPTOR)));
        assertThat(descriptor.get("digest").asText()).isEqualTo(digest);
        assertThat(descriptor
                        .get("annotations")
                        .get("org.opencontainers.image.created")
                        .asText())
                .isEqualTo("2024-06-01T12:00:00Z");
    }

    @Test
    void dockerTarballsIndexEntryHasThePlatformAndWhenItWasMade() throws Exception {
        Path archive = tmp.resolve("docker.tar");

        kiln.build(stamped("docker-index"), output("docker", Map.of("dest", archive.toString())));

        JsonNode entry = JSON.readTree(ImageTar.files(archive).get("index.json"))
                .get("manifests")
                .get(0);
        assertThat(entry.get("platform").get("os").asText()).isEqualTo("linux");
        assertThat(Instant.parse(entry.get("annotations")
                        .get("org.opencontainers.image.created")
                        .asText()))
                .isAfter(EPOCH);
    }

    @Test
    void annotationsGoToTheirPlatformsManifestAndIndexEntryAndIndexOnesNeedAnIndex() throws Exception {
        Path archive = tmp.resolve("annotated.tar");
        String platform = Platform.current().normalize().toString();

        kiln.build(
                stamped("annotated"),
                output(
                        "oci",
                        Map.of(
                                "dest",
                                archive.toString(),
                                "annotation[" + platform + "].com.example.mine",
                                "yes",
                                "annotation-manifest-descriptor.com.example.entry",
                                "listed")));

        Map<String, byte[]> files = ImageTar.files(archive);
        JsonNode entry = JSON.readTree(files.get("index.json")).get("manifests").get(0);
        assertThat(entry.get("annotations").get("com.example.entry").asText()).isEqualTo("listed");
        JsonNode manifest = ImageTar.firstManifest(files);
        assertThat(manifest.get("annotations").get("com.example.mine").asText()).isEqualTo("yes");
        assertThatThrownBy(() -> kiln.build(
                        stamped("annotated"),
                        output("oci", Map.of("dest", archive.toString(), "annotation-index.com.example.idx", "x"))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("annotation-index and annotation-index-descriptor need an index");
        assertThatThrownBy(() -> kiln.build(
                        stamped("annotated"),
                        output("oci", Map.of("dest", archive.toString(), "annotation[linux/s390x].other", "x"))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("an annotation is for platform linux/s390x, which the result has no image for");
    }

    /** The mtime of {@code path} in the top layer of the OCI archive at {@code archive}. */
    private static Instant topLayerTime(Path archive, String path) throws Exception {
        Map<String, byte[]> files = ImageTar.files(archive);
        JsonNode layers = ImageTar.firstManifest(files).get("layers");
        byte[] blob =
                ImageTar.blob(files, layers.get(layers.size() - 1).get("digest").asText());
        Map<String, Instant> times = new HashMap<>();
        try (InputStream gzip = new GZIPInputStream(new ByteArrayInputStream(blob));
                TarArchiveInputStream tar = new TarArchiveInputStream(gzip)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                times.put(entry.getName(), entry.getModTime().toInstant());
            }
        }
        assertThat(times).containsKey(path);
        return times.get(path);
    }

    private static JsonNode config(Path archive) throws Exception {
        Map<String, byte[]> files = ImageTar.files(archive);
        String digest =
                ImageTar.firstManifest(files).get("config").get("digest").asText();
        return JSON.readTree(ImageTar.blob(files, digest));
    }

    private static String fact(BuildOutcome outcome, String key) {
        return new String(outcome.result().metadata(key).orElseThrow(), StandardCharsets.UTF_8);
    }
}
