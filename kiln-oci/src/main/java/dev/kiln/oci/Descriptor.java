package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A reference to content by digest: what a manifest says about its config and layers, and an index about its
 * manifests.
 *
 * @param mediaType the media type of the content
 * @param digest its digest
 * @param size its size in bytes
 * @param urls where else it may be fetched from (foreign layers), usually empty
 * @param annotations arbitrary metadata, sorted by key
 * @param platform the platform an index entry is for, or null
 * @param artifactType the artifact type of a manifest an index refers to, or ""
 */
public record Descriptor(
        String mediaType,
        Digest digest,
        long size,
        List<String> urls,
        Map<String, String> annotations,
        Platform platform,
        String artifactType) {

    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        if (size < 0) {
            throw new IllegalArgumentException("descriptor size must not be negative: " + size);
        }
        urls = urls == null ? List.of() : List.copyOf(urls);
        annotations = CanonicalJson.sortedMap(annotations);
        artifactType = artifactType == null ? "" : artifactType;
    }

    public static Descriptor of(String mediaType, Digest digest, long size) {
        return new Descriptor(mediaType, digest, size, List.of(), Map.of(), null, "");
    }

    /** The descriptor of {@code content}: its sha256 digest and length. */
    public static Descriptor of(String mediaType, byte[] content) {
        return of(mediaType, Digest.sha256(content), content.length);
    }

    public Descriptor withPlatform(Platform newPlatform) {
        return new Descriptor(mediaType, digest, size, urls, annotations, newPlatform, artifactType);
    }

    public Descriptor withAnnotations(Map<String, String> newAnnotations) {
        return new Descriptor(mediaType, digest, size, urls, newAnnotations, platform, artifactType);
    }

    public Descriptor withMediaType(String newMediaType) {
        return new Descriptor(newMediaType, digest, size, urls, annotations, platform, artifactType);
    }

    /**
     * Reads a descriptor from a JSON object. Fields a descriptor does not have are ignored, so a record that carries a
     * descriptor's fields beside its own (as a Go struct that embeds a Descriptor does) reads too.
     *
     * @param document what the JSON is, for error messages
     * @throws OciFormatException when it is not JSON or a descriptor field is missing or malformed
     */
    public static Descriptor parse(byte[] json, String document) {
        return read(JsonFields.parse(json, document));
    }

    /** This descriptor as compact JSON, in the order of the OCI Go struct, with Go's string escaping. */
    public byte[] toJson() {
        return toJson(Map.of());
    }

    /**
     * This descriptor's fields followed by {@code extra} string fields in the map's order, the JSON of a Go struct
     * that embeds a Descriptor; {@link #parse} reads the descriptor back.
     */
    public byte[] toJson(Map<String, String> extra) {
        return CanonicalJson.write(json -> {
            json.writeStartObject();
            writeFields(json);
            for (Map.Entry<String, String> field : extra.entrySet()) {
                json.writeStringField(field.getKey(), field.getValue());
            }
            json.writeEndObject();
        });
    }

    static Descriptor read(JsonFields descriptor) {
        JsonFields platform = descriptor.object("platform");
        return new Descriptor(
                descriptor.requiredString("mediaType"),
                descriptor.digest("digest"),
                descriptor.nonNegativeLong("size"),
                descriptor.strings("urls"),
                descriptor.stringMap("annotations"),
                platform == null ? null : PlatformJson.read(platform),
                descriptor.string("artifactType"));
    }

    /** Writes the descriptor as an object value, in the order of the OCI Go struct. */
    void write(JsonGenerator json) throws IOException {
        json.writeStartObject();
        writeFields(json);
        json.writeEndObject();
    }

    private void writeFields(JsonGenerator json) throws IOException {
        json.writeStringField("mediaType", mediaType);
        json.writeStringField("digest", digest.toString());
        json.writeNumberField("size", size);
        CanonicalJson.strings(json, "urls", urls);
        CanonicalJson.stringMap(json, "annotations", annotations);
        if (platform != null) {
            PlatformJson.write(json, "platform", platform);
        }
        CanonicalJson.string(json, "artifactType", artifactType);
    }

    void write(JsonGenerator json, String name) throws IOException {
        json.writeFieldName(name);
        write(json);
    }

    @Override
    public String toString() {
        return mediaType + " " + digest + " (" + size + " bytes" + (platform == null ? "" : ", " + platform) + ")";
    }
}
