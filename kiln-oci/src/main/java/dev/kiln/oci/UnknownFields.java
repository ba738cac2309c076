package dev.kiln.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Fields of a document that Kiln does not model, copied so that the records holding them stay values. */
final class UnknownFields {
    private UnknownFields() {}

    static Map<String, JsonNode> copy(Map<String, JsonNode> fields) {
        if (fields == null || fields.isEmpty()) {
            return Map.of();
        }
        Map<String, JsonNode> copy = new TreeMap<>();
        fields.forEach((name, value) -> copy.put(name, value.deepCopy()));
        return Collections.unmodifiableMap(copy);
    }
}
