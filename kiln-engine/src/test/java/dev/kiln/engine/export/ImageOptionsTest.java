package dev.kiln.engine.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.oci.layer.LayerCompression;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ImageOptionsTest {

    @Test
    void buildKitAttributesAreRead() {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("compression", "zstd");
        attrs.put("compression-level", "7");
        attrs.put("force-compression", "true");
        attrs.put("source-date-epoch", "1700000000");
        attrs.put("registry.insecure", "true");
        attrs.put("annotation.org.opencontainers.image.title", "app");
        attrs.put("annotation-manifest.com.example.team", "core");

        ImageOptions options = ImageOptions.parse(attrs, ImageOptions.defaults(), Optional.empty());

        assertThat(options.compression()).isEqualTo(LayerCompression.ZSTD);
        assertThat(options.compressionLevel()).isEqualTo(OptionalInt.of(7));
        assertThat(options.forceCompression()).isTrue();
        assertThat(options.ociMediaTypes()).isTrue();
        assertThat(options.sourceDateEpoch()).contains(Instant.ofEpochSecond(1700000000));
        assertThat(options.insecureRegistry()).isTrue();
        assertThat(options.manifestAnnotations())
                .containsEntry("org.opencontainers.image.title", "app")
                .containsEntry("com.example.team", "core");
    }

    @Test
    void defaultsAreGzipOciMediaTypesAndNoFixedTime() {
        ImageOptions options = ImageOptions.parse(Map.of(), ImageOptions.defaults(), Optional.empty());

        assertThat(options).isEqualTo(ImageOptions.defaults());
        assertThat(options.compression()).isEqualTo(LayerCompression.GZIP);
        assertThat(ImageOptions.parse(Map.of(), ImageOptions.dockerDefaults(), Optional.empty())
                        .ociMediaTypes())
                .isFalse();
        assertThat(ImageOptions.parse(Map.of("compression", "uncompressed"), ImageOptions.defaults(), Optional.empty())
                        .compression())
                .isEqualTo(LayerCompression.NONE);
    }

    @Test
    void sourceDateEpochFromTheEnvironmentYieldsToTheAttribute() {
        assertThat(ImageOptions.parse(Map.of(), ImageOptions.defaults(), Optional.of("86400"))
                        .sourceDateEpoch())
                .contains(Instant.parse("1970-01-02T00:00:00Z"));
        assertThat(ImageOptions.parse(Map.of("source-date-epoch", "0"), ImageOptions.defaults(), Optional.of("86400"))
                        .sourceDateEpoch())
                .contains(Instant.EPOCH);
    }

    @Test
    void badValuesNameTheAttribute() {
        assertThatThrownBy(() ->
                        ImageOptions.parse(Map.of("compression", "xz"), ImageOptions.defaults(), Optional.empty()))
                .hasMessageContaining("compression=xz")
                .hasMessageContaining("gzip, zstd");
        assertThatThrownBy(() -> ImageOptions.parse(
                        Map.of("compression-level", "12"), ImageOptions.defaults(), Optional.empty()))
                .hasMessageContaining("gzip levels are 0 to 9");
        assertThatThrownBy(() -> ImageOptions.parse(
                        Map.of("force-compression", "yes"), ImageOptions.defaults(), Optional.empty()))
                .hasMessageContaining("force-compression=yes");
        assertThatThrownBy(() -> ImageOptions.parse(
                        Map.of("source-date-epoch", "yesterday"), ImageOptions.defaults(), Optional.empty()))
                .hasMessageContaining("source-date-epoch=yesterday");
        assertThatThrownBy(() -> ImageOptions.parse(Map.of(), ImageOptions.defaults(), Optional.of("-5")))
                .hasMessageContaining("SOURCE_DATE_EPOCH=-5");
        assertThatThrownBy(() ->
                        ImageOptions.parse(Map.of("compression", "estargz"), ImageOptions.defaults(), Optional.empty()))
                .hasMessage("compression=estargz: Kiln does not make estargz layers (use gzip, zstd or uncompressed)");
        assertThatThrownBy(() -> ImageOptions.parse(
                        Map.of("annotation-index[linux/amd64].a", "b"), ImageOptions.defaults(), Optional.empty()))
                .hasMessage("annotation-index[linux/amd64].a: annotation-index is for every platform, not one");
        assertThatThrownBy(() -> ImageOptions.parse(
                        Map.of("annotation-indexes.a", "b"), ImageOptions.defaults(), Optional.empty()))
                .hasMessageStartingWith("annotation-indexes.a: expected annotation.KEY, annotation[PLATFORM].KEY");
    }

    @Test
    void annotationsArtifactsAndZstdTurnOnOciMediaTypesAsInBuildKit() {
        for (Map<String, String> attrs : java.util.List.of(
                Map.of("oci-mediatypes", "false", "annotation.a", "b"),
                Map.of("oci-mediatypes", "false", "oci-artifact", "true"),
                Map.of("compression", "zstd"))) {
            assertThat(ImageOptions.parse(attrs, ImageOptions.dockerDefaults(), Optional.empty())
                            .ociMediaTypes())
                    .as("%s", attrs)
                    .isTrue();
        }
    }

    @Test
    void annotationsGoWhereTheirAttributeSays() {
        Map<String, String> attrs = Map.of(
                "annotation.all", "1",
                "annotation[linux/arm64].arm", "2",
                "annotation-manifest[linux/amd64].amd", "3",
                "annotation-index.idx", "4",
                "annotation-manifest-descriptor.md", "5",
                "annotation-index-descriptor.id", "6");

        ImageAnnotations annotations = ImageOptions.parse(attrs, ImageOptions.defaults(), Optional.empty())
                .annotations();

        assertThat(annotations.of(ImageAnnotations.Kind.MANIFEST, dev.kiln.core.Platform.parse("linux/arm64")))
                .isEqualTo(Map.of("all", "1", "arm", "2"));
        assertThat(annotations.of(ImageAnnotations.Kind.MANIFEST, dev.kiln.core.Platform.parse("linux/amd64")))
                .isEqualTo(Map.of("all", "1", "amd", "3"));
        assertThat(annotations.of(ImageAnnotations.Kind.INDEX)).isEqualTo(Map.of("idx", "4"));
        assertThat(annotations.of(ImageAnnotations.Kind.MANIFEST_DESCRIPTOR)).isEqualTo(Map.of("md", "5"));
        assertThat(annotations.of(ImageAnnotations.Kind.INDEX_DESCRIPTOR)).isEqualTo(Map.of("id", "6"));
    }

    @Test
    void rewriteTimestampAndInsecureAreRead() {
        ImageOptions options = ImageOptions.parse(
                Map.of("rewrite-timestamp", "true", "insecure", "true"), ImageOptions.defaults(), Optional.empty());

        assertThat(options.rewriteTimestamp()).isTrue();
        assertThat(options.insecureRegistry()).isTrue();
        assertThat(ImageOptions.defaults().rewriteTimestamp()).isFalse();
    }

    @Test
    void eachBlobFormHasItsOwnVariantName() {
        ImageOptions gzip = ImageOptions.defaults();

        assertThat(gzip.layerVariant()).isEqualTo("gzip");
        assertThat(gzip.withCompressionLevel(9).layerVariant()).isEqualTo("gzip-9");
        // SOURCE_DATE_EPOCH alone leaves the layers as they are; only rewriting their times makes another blob.
        assertThat(gzip.withSourceDateEpoch(Instant.ofEpochSecond(5)).layerVariant())
                .isEqualTo("gzip");
        assertThat(gzip.withSourceDateEpoch(Instant.ofEpochSecond(5))
                        .withRewriteTimestamp(true)
                        .layerVariant())
                .isEqualTo("gzip.5");
        assertThat(gzip.withCompression(LayerCompression.ZSTD).layerVariant()).isEqualTo("zstd");
        assertThat(ImageOptions.isAttribute("annotation.x")).isTrue();
        assertThat(ImageOptions.isAttribute("name")).isFalse();
    }
}
