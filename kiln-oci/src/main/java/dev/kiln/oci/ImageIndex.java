package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.kiln.core.Platform;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An image index (OCI) or manifest list (Docker): manifests of one image for several platforms.
 *
 * @param schemaVersion always 2
 * @param mediaType {@link MediaTypes#OCI_INDEX}, {@link MediaTypes#DOCKER_MANIFEST_LIST}, or "" when an OCI index
 *     does not name itself
 * @param artifactType the artifact type, or ""
 * @param manifests the manifests, each normally with a platform
 * @param subject the manifest this index refers to, or null
 * @param annotations arbitrary metadata
 */
public record ImageIndex(
        int schemaVersion,
        String mediaType,
        String artifactType,
        List<Descriptor> manifests,
        Descriptor subject,
        Map<String, String> annotations)
        implements ManifestDocument {

    private static final String KIND = "image index";

    public ImageIndex {
        ManifestHead head = new ManifestHead(schemaVersion, mediaType, artifactType, subject, annotations);
        mediaType = head.mediaType();
        artifactType = head.artifactType();
        manifests = manifests == null ? List.of() : List.copyOf(manifests);
        annotations = head.annotations();
    }

    public static ImageIndex oci(List<Descriptor> manifests) {
        return new ImageIndex(2, MediaTypes.OCI_INDEX, "", manifests, null, Map.of());
    }

    public ImageIndex withAnnotations(Map<String, String> newAnnotations) {
        return new ImageIndex(schemaVersion, mediaType, artifactType, manifests, subject, newAnnotations);
    }

    public static ImageIndex docker(List<Descriptor> manifests) {
        return new ImageIndex(2, MediaTypes.DOCKER_MANIFEST_LIST, "", manifests, null, Map.of());
    }

    public static ImageIndex parse(byte[] json) {
        return parse(json, KIND);
    }

    /** @param document what is being read, for error messages */
    public static ImageIndex parse(byte[] json, String document) {
        return read(JsonFields.parse(json, document));
    }

    static ImageIndex read(JsonFields fields) {
        ManifestHead head = ManifestHead.read(fields, MediaTypes::isIndex, "an index media type");
        List<Descriptor> manifests =
                fields.objects("manifests").stream().map(Descriptor::read).toList();
        return new ImageIndex(
                head.schemaVersion(),
                head.mediaType(),
                head.artifactType(),
                manifests,
                head.subject(),
                head.annotations());
    }

    /** The media type to send as Content-Type: the declared one, OCI's when there is none. */
    public String contentType() {
        return mediaType.isEmpty() ? MediaTypes.OCI_INDEX : mediaType;
    }

    /** The best manifest for {@code platform} by {@link PlatformMatcher}'s preference order. */
    public Optional<Descriptor> select(Platform platform) {
        return PlatformMatcher.of(platform).select(manifests);
    }

    /** The platforms this index offers, for messages such as "no manifest for linux/s390x". */
    public List<Platform> platforms() {
        return manifests.stream()
                .map(Descriptor::platform)
                .filter(java.util.Objects::nonNull)
                .toList();
    }

    @Override
    public byte[] toJson() {
        return CanonicalJson.write(this::write);
    }

    private void write(JsonGenerator json) throws java.io.IOException {
        new ManifestHead(schemaVersion, mediaType, artifactType, subject, annotations)
                .write(json, own -> CanonicalJson.descriptors(own, "manifests", manifests));
    }
}
