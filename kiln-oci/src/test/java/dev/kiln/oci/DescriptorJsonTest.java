package dev.kiln.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The public descriptor codec other modules store descriptors with, instead of mapping its fields by hand. */
class DescriptorJsonTest {
    private static final Digest BLOB = Digest.sha256("blob".getBytes());

    @Test
    void everyFieldRoundTripsInGoFieldOrder() {
        Descriptor descriptor = Descriptor.of(MediaTypes.OCI_MANIFEST, BLOB, 7)
                .withAnnotations(Map.of("org.opencontainers.image.ref.name", "a<b>&c"))
                .withPlatform(Platform.parse("linux/arm/v7"));

        String json = new String(descriptor.toJson(), StandardCharsets.UTF_8);

        assertThat(json)
                .isEqualTo("{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + BLOB + "\","
                        + "\"size\":7,\"annotations\":{\"org.opencontainers.image.ref.name\":\"a\\u003cb\\u003e\\u0026c\"},"
                        + "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}}");
        assertThat(Descriptor.parse(descriptor.toJson(), "d")).isEqualTo(descriptor);
    }

    @Test
    void extraFieldsFollowTheDescriptorAndAreIgnoredWhenReadBack() {
        Descriptor descriptor = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, BLOB, 5);
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("diffId", "sha256:" + "0".repeat(64));
        extra.put("repository", "example.com/app");

        byte[] json = descriptor.toJson(extra);

        assertThat(new String(json, StandardCharsets.UTF_8))
                .isEqualTo("{\"mediaType\":\"" + MediaTypes.OCI_LAYER_GZIP
                        + "\",\"digest\":\"" + BLOB + "\",\"size\":5,\"diffId\":\"sha256:" + "0".repeat(64)
                        + "\",\"repository\":\"example.com/app\"}");
        assertThat(Descriptor.parse(json, "layer record")).isEqualTo(descriptor);
    }

    @Test
    void aMissingDigestIsNamedInTheError() {
        assertThatThrownBy(() -> Descriptor.parse("{\"mediaType\":\"x\",\"size\":1}".getBytes(), "name record"))
                .isInstanceOf(OciFormatException.class)
                .hasMessageContaining("name record")
                .hasMessageContaining("digest");
    }
}
