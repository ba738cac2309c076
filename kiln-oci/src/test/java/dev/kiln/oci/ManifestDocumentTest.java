package dev.kiln.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestDocumentTest {
    private static final Digest CONFIG = Digest.sha256("config".getBytes());
    private static final Digest LAYER = Digest.sha256("layer".getBytes());

    @Test
    void ociManifestRoundTripsInGoFieldOrder() {
        ImageManifest manifest = ImageManifest.oci(
                Descriptor.of(MediaTypes.OCI_CONFIG, CONFIG, 6),
                List.of(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, LAYER, 5).withAnnotations(Map.of("k", "v"))));

        String json = new String(manifest.toJson(), StandardCharsets.UTF_8);

        assertThat(json)
                .isEqualTo("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                        + "\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + CONFIG
                        + "\",\"size\":6},"
                        + "\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_GZIP + "\",\"digest\":\"" + LAYER
                        + "\",\"size\":5,"
                        + "\"annotations\":{\"k\":\"v\"}}]}");
        assertThat(ManifestDocument.parse(manifest.toJson(), "", "m")).isEqualTo(manifest);
    }

    @Test
    void dockerManifestIsRecognisedByItsMediaType() {
        ImageManifest manifest = ImageManifest.docker(
                Descriptor.of(MediaTypes.DOCKER_CONFIG, CONFIG, 6),
                List.of(Descriptor.of(MediaTypes.DOCKER_LAYER_GZIP, LAYER, 5)));

        ManifestDocument parsed = ManifestDocument.parse(manifest.toJson(), "application/octet-stream", "m");

        assertThat(parsed).isInstanceOf(ImageManifest.class);
        assertThat(((ImageManifest) parsed).isDocker()).isTrue();
        assertThat(((ImageManifest) parsed).contentType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    }

    @Test
    void indexWithPlatformsRoundTripsAndSelects() {
        Descriptor amd64 = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256("a".getBytes()), 10)
                .withPlatform(Platform.of("linux", "amd64"));
        Descriptor arm = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256("b".getBytes()), 11)
                .withPlatform(new Platform("linux", "arm64", "v8", "", List.of()));
        ImageIndex index = ImageIndex.oci(List.of(amd64, arm));

        ManifestDocument parsed = ManifestDocument.parse(index.toJson(), MediaTypes.OCI_INDEX, "index");

        assertThat(parsed).isEqualTo(index);
        assertThat(new String(index.toJson(), StandardCharsets.UTF_8))
                .contains("\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}");
        assertThat(index.select(Platform.parse("linux/aarch64"))).contains(arm);
        assertThat(index.select(Platform.parse("linux/x86_64"))).contains(amd64);
        assertThat(index.select(Platform.parse("linux/s390x"))).isEmpty();
    }

    @Test
    void ociDocumentsWithoutMediaTypeAreToldApartByShape() {
        String manifest = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG
                + "\",\"digest\":\"" + CONFIG + "\",\"size\":6},\"layers\":[]}";
        String index = "{\"schemaVersion\":2,\"manifests\":[]}";

        assertThat(ManifestDocument.parse(manifest.getBytes(), "", "m")).isInstanceOf(ImageManifest.class);
        assertThat(ManifestDocument.parse(index.getBytes(), "", "i")).isInstanceOf(ImageIndex.class);
        assertThat(((ImageManifest) ManifestDocument.parse(manifest.getBytes(), "", "m")).contentType())
                .isEqualTo(MediaTypes.OCI_MANIFEST);
    }

    @Test
    void schemaOneManifestsAreRefusedClearly() {
        String v1 = "{\"schemaVersion\":1,\"name\":\"app\",\"fsLayers\":[]}";

        assertThatThrownBy(() ->
                        ManifestDocument.parse(v1.getBytes(), MediaTypes.DOCKER_MANIFEST_V1_SIGNED, "manifest app"))
                .isInstanceOf(OciFormatException.class)
                .hasMessageContaining("manifest app: field schemaVersion: Docker schema 1 manifests are not supported");
    }

    @Test
    void errorsNameTheDocumentAndTheField() {
        String badSize =
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                        + "\"x\",\"digest\":\"" + CONFIG
                        + "\",\"size\":1},\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" + LAYER
                        + "\",\"size\":-5}]}";
        String noConfig = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"layers\":[]}";
        String badPlatform = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" + LAYER
                + "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}";

        assertThatThrownBy(() -> ImageManifest.parse(badSize.getBytes(), "manifest app:1"))
                .hasMessage("manifest app:1: field layers[0].size: expected a non-negative integer, found number -5");
        assertThatThrownBy(() -> ImageManifest.parse(noConfig.getBytes()))
                .hasMessage("image manifest: field config: missing");
        assertThatThrownBy(() -> ImageIndex.parse(badPlatform.getBytes()))
                .hasMessage("image index: field manifests[0].platform.architecture: missing");
        assertThatThrownBy(() -> ImageIndex.parse(noConfig.getBytes()))
                .hasMessageContaining(
                        "field mediaType: \"" + MediaTypes.OCI_MANIFEST + "\" is not an index media type");
    }

    @Test
    void aNumberTooLargeToReadIsAFormatError() {
        // Found by ImageDocumentFuzzTest (its inputs crash-09c2ef7c... and crash-a961cee5...): Jackson refuses the
        // exponent
        // with a NumberFormatException of its own, which escaped the parser.
        String huge = "{\"schemaVersion\":2e8160039594}";

        assertThatThrownBy(() -> ManifestDocument.parse(huge.getBytes(), "", "manifest app:1"))
                .isInstanceOf(OciFormatException.class)
                .hasMessageStartingWith("manifest app:1: not valid JSON: ")
                .hasMessageContaining("2e8160039594");
        assertThatThrownBy(() ->
                        ImageConfig.parse("{\"config\":{\"Healthcheck\":{\"Interval\":1e99999999999}}}".getBytes()))
                .isInstanceOf(OciFormatException.class);
    }
}
