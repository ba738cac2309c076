package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

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
        mediaType = mediaType == null ? "" : mediaType;
        artifactType = artifactType == null ? "" : artifactType;
        Objects.requireNonNull(config, "config");
        layers = layers == null ? List.of() : List.copyOf(layers);
        annotations =
                annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
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
        int schemaVersion = fields.schemaVersion2();
        String mediaType = fields.mediaType(MediaTypes::isManifest, "an image manifest media type");
        JsonFields subject = fields.object("subject");
        return new ImageManifest(
                schemaVersion,
                mediaType,
                fields.string("artifactType"),
                Descriptor.read(fields.requiredObject("config")),
                fields.objects("layers").stream().map(Descriptor::read).toList(),
                subject == null ? null : Descriptor.read(subject),
                fields.stringMap("annotations"));
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
        json.writeStartObject();
        json.writeNumberField("schemaVersion", schemaVersion);
        CanonicalJson.string(json, "mediaType", mediaType);
        CanonicalJson.string(json, "artifactType", artifactType);
        config.write(json, "config");
        json.writeArrayFieldStart("layers");
        for (Descriptor layer : layers) {
            layer.write(json);
        }
        json.writeEndArray();
        if (subject != null) {
            subject.write(json, "subject");
        }
        CanonicalJson.stringMap(json, "annotations", annotations);
        json.writeEndObject();
    }
}
