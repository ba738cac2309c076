package dev.kiln.oci;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.function.Function;

/**
 * Any bytes as a manifest, an index or a config, as a registry may return them: reading either gives a document
 * or stops with an {@link OciFormatException}; a document that reads writes JSON that reads back to the same
 * JSON. Each input is read as an image manifest, an index and a config (also as a frontend reads and writes one),
 * and through {@link ManifestDocument} with no Content-Type, a manifest's and an index's.
 */
class ImageDocumentFuzzTest {

    @FuzzTest
    void parse(byte[] data) {
        for (String contentType : new String[] {"", MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST}) {
            readsBack(data, json -> ManifestDocument.parse(json, contentType, "manifest"), ManifestDocument::toJson);
        }
        readsBack(data, ImageManifest::parse, ImageManifest::toJson);
        readsBack(data, ImageIndex::parse, ImageIndex::toJson);
        readsBack(data, ImageConfig::parse, ImageConfig::toJson);
        readsBack(data, json -> ImageConfig.parseDockerOciImage(json, "config"), ImageConfig::toDockerOciImageJson);
    }

    private static <T> void readsBack(byte[] data, Function<byte[], T> parse, Function<T, byte[]> write) {
        T document;
        try {
            document = parse.apply(data);
        } catch (OciFormatException e) {
            return;
        }
        byte[] written = write.apply(document);
        assertThat(write.apply(parse.apply(written)))
                .as("%s written again", new String(written, java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(written);
    }
}
