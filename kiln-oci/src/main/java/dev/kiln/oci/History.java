package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * One step of an image's history.
 *
 * @param created when the step ran, or null
 * @param createdBy the command of the step, e.g. "RUN /bin/sh -c make"
 * @param author who made it, or ""
 * @param comment a comment, or ""
 * @param emptyLayer true when the step made no layer (ENV, CMD, ...)
 * @param unknownFields fields Kiln does not model, kept when the config is written again (read-only)
 */
public record History(
        Instant created,
        String createdBy,
        String author,
        String comment,
        boolean emptyLayer,
        Map<String, JsonNode> unknownFields) {
    private static final Set<String> FIELDS = Set.of("created", "created_by", "author", "comment", "empty_layer");

    public History {
        createdBy = createdBy == null ? "" : createdBy;
        author = author == null ? "" : author;
        comment = comment == null ? "" : comment;
        unknownFields = UnknownFields.copy(unknownFields);
    }

    public static History of(Instant created, String createdBy, String comment, boolean emptyLayer) {
        return new History(created, createdBy, "", comment, emptyLayer, Map.of());
    }

    History withoutUnknownFields() {
        return new History(created, createdBy, author, comment, emptyLayer, Map.of());
    }

    static History read(JsonFields fields) {
        return new History(
                fields.time("created"),
                fields.string("created_by"),
                fields.string("author"),
                fields.string("comment"),
                fields.optionalBoolean("empty_layer"),
                fields.unknown(FIELDS));
    }

    void write(JsonGenerator json) throws IOException {
        json.writeStartObject();
        CanonicalJson.time(json, "created", created);
        CanonicalJson.string(json, "created_by", createdBy);
        CanonicalJson.string(json, "author", author);
        CanonicalJson.string(json, "comment", comment);
        if (emptyLayer) {
            json.writeBooleanField("empty_layer", true);
        }
        CanonicalJson.unknown(json, unknownFields);
        json.writeEndObject();
    }
}
