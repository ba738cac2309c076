package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.core.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The layers of an image as their uncompressed digests (diff IDs), base first.
 *
 * @param type always "layers"
 * @param diffIds the sha256 of each uncompressed layer tar
 * @param nullDiffIds the list was never set (Go's nil slice: absent or null in the JSON), so it is written as
 *     {@code "diff_ids":null}, as BuildKit's frontend writes the config of a stage from scratch; never with diff
 *     IDs. Otherwise an empty list is written as {@code []}.
 * @param unknownFields fields Kiln does not model, kept when the config is written again (read-only)
 */
public record RootFs(String type, List<Digest> diffIds, boolean nullDiffIds, Map<String, JsonNode> unknownFields) {
    private static final Set<String> FIELDS = Set.of("type", "diff_ids");

    public RootFs {
        type = type == null || type.isEmpty() ? "layers" : type;
        diffIds = diffIds == null ? List.of() : List.copyOf(diffIds);
        nullDiffIds = nullDiffIds && diffIds.isEmpty();
        unknownFields = UnknownFields.copy(unknownFields);
    }

    /** A rootfs whose diff IDs are set: {@code []} when there are none. */
    public RootFs(String type, List<Digest> diffIds, Map<String, JsonNode> unknownFields) {
        this(type, diffIds, false, unknownFields);
    }

    public static RootFs layers(List<Digest> diffIds) {
        return new RootFs("layers", diffIds, false, Map.of());
    }

    /** A rootfs whose layers are not listed yet ({@code "diff_ids":null}): a frontend's, the exporter lists them. */
    public static RootFs unlisted() {
        return new RootFs("layers", List.of(), true, Map.of());
    }

    /** This rootfs with one more layer on top. */
    public RootFs withLayer(Digest diffId) {
        List<Digest> more = new ArrayList<>(diffIds);
        more.add(diffId);
        return new RootFs(type, more, false, unknownFields);
    }

    RootFs withoutUnknownFields() {
        return new RootFs(type, diffIds, nullDiffIds, Map.of());
    }

    static RootFs read(JsonFields fields) {
        return new RootFs(
                fields.string("type"), fields.digests("diff_ids"), !fields.has("diff_ids"), fields.unknown(FIELDS));
    }

    void write(JsonGenerator json) throws IOException {
        json.writeObjectFieldStart("rootfs");
        json.writeStringField("type", type);
        if (nullDiffIds) {
            json.writeNullField("diff_ids");
        } else {
            CanonicalJson.digests(json, "diff_ids", diffIds);
        }
        CanonicalJson.unknown(json, unknownFields);
        json.writeEndObject();
    }
}
