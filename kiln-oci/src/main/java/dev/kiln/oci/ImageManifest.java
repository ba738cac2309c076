package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An image manifest: the config and the layers of one image for one platform, in OCI form or as a Docker v2 schema
 * 2 manifest (the same shape under Docker's media types).
 *
 * @param schemaVersion always 2
 * @param mediaType {@link MediaTypes#OCI_MANIFEST}, {@link MediaTypes#DOCKER_MANIFEST}, or "" when an OCI manifest
 *     does not name itself
 * @param artifactType the artifact type, or "" for an image
 * @param config the image config
 * @param layers the layers, base first
 * @param subject the manifest this one refers to (referrers API), or null
 * @param annotations arbitrary metadata
 */
public record ImageManifest(
        int schemaVersion,
        String mediaType,
        String artifactType,
        Descriptor config,
        List<Descriptor> layers,
        Descriptor subject,
        Map<String, String> annotations)
        implements ManifestDocument {

    private static final String KIND = "image manifest";

    public ImageManifest {
        ManifestHead head = new ManifestHead(schemaVersion, mediaType, artifactType, subject, annotations);
        mediaType = head.mediaType();
        artifactType = head.artifactType();
        Objects.requireNonNull(config, "config");
        layers = layers == null ? List.of() : List.copyOf(layers);
        annotations = head.annotations();
    }

    /** An OCI image manifest. */
    public static ImageManifest oci(Descriptor config, List<Descriptor> layers) {
        return new ImageManifest(2, MediaTypes.OCI_MANIFEST, "", config, layers, null, Map.of());
    }

    /** A Docker v2 schema 2 manifest. */
    public static ImageManifest docker(Descriptor config, List<Descriptor> layers) {
        return new ImageManifest(2, MediaTypes.DOCKER_MANIFEST, "", config, layers, null, Map.of());
    }

    public static ImageManifest parse(byte[] json) {
        return parse(json, KIND);
    }

    /** @param document what is being read, for error messages */
    public static ImageManifest parse(byte[] json, String document) {
        return read(JsonFields.parse(json, document));
    }

    static ImageManifest read(JsonFields fields) {
        ManifestHead head = ManifestHead.read(fields, MediaTypes::isManifest, "an image manifest media type");
        Descriptor config = Descriptor.read(fields.requiredObject("config"));
        List<Descriptor> layers =
                fields.objects("layers").stream().map(Descriptor::read).toList();
        return new ImageManifest(
                head.schemaVersion(),
                head.mediaType(),
                head.artifactType(),
                config,
                layers,
                head.subject(),
                head.annotations());
    }

    /** The media type to send as Content-Type: the declared one, OCI's when there is none. */
    public String contentType() {
        return mediaType.isEmpty() ? MediaTypes.OCI_MANIFEST : mediaType;
    }

    public boolean isDocker() {
        return MediaTypes.isDocker(mediaType);
    }

    public ImageManifest withAnnotations(Map<String, String> newAnnotations) {
        return new ImageManifest(schemaVersion, mediaType, artifactType, config, layers, subject, newAnnotations);
    }

    @Override
    public byte[] toJson() {
        return CanonicalJson.write(this::write);
    }

    private void write(JsonGenerator json) throws java.io.IOException {
        new ManifestHead(schemaVersion, mediaType, artifactType, subject, annotations).write(json, own -> {
            config.write(own, "config");
            CanonicalJson.descriptors(own, "layers", layers);
        });
    }
}
