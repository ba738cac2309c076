package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The fields an image manifest and an image index share: schemaVersion, mediaType and artifactType before the
 * document's own fields, subject and annotations after them (the order of the OCI Go structs). Both documents read
 * and write them here, so the two cannot drift apart.
 */
record ManifestHead(
        int schemaVersion, String mediaType, String artifactType, Descriptor subject, Map<String, String> annotations) {

    ManifestHead {
        mediaType = mediaType == null ? "" : mediaType;
        artifactType = artifactType == null ? "" : artifactType;
        annotations = CanonicalJson.sortedMap(annotations);
    }

    /**
     * @param isKind whether a declared media type names this kind of document
     * @param kind the kind for the error message, e.g. "an index media type"
     */
    static ManifestHead read(JsonFields fields, Predicate<String> isKind, String kind) {
        int schemaVersion = fields.schemaVersion2();
        String mediaType = fields.mediaType(isKind, kind);
        JsonFields subject = fields.object("subject");
        return new ManifestHead(
                schemaVersion,
                mediaType,
                fields.string("artifactType"),
                subject == null ? null : Descriptor.read(subject),
                fields.stringMap("annotations"));
    }

    /** Writes the whole document: these fields around the {@code own} ones. */
    void write(JsonGenerator json, CanonicalJson.Body own) throws IOException {
        json.writeStartObject();
        json.writeNumberField("schemaVersion", schemaVersion);
        CanonicalJson.string(json, "mediaType", mediaType);
        CanonicalJson.string(json, "artifactType", artifactType);
        own.write(json);
        if (subject != null) {
            subject.write(json, "subject");
        }
        CanonicalJson.stringMap(json, "annotations", annotations);
        json.writeEndObject();
    }
}
