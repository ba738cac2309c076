package dev.kiln.oci;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.kiln.core.Digest;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * One JSON object of an image document being read, with the JSON path that leads to it, so every error names the
 * document and the field. Absent and null fields read as empty values, as Go's encoding/json treats them.
 *
 * @param document what is being read, for error messages
 * @param path the JSON path of this object, "" for the document itself
 */
record JsonFields(String document, String path, JsonNode node) {

    static JsonFields parse(byte[] json, String document) {
        JsonNode root;
        try {
            root = CanonicalJson.MAPPER.readTree(json);
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new OciFormatException(document, "", "not valid JSON" + where + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new OciFormatException(document, "", "not readable as JSON: " + e.getMessage());
        } catch (NumberFormatException e) {
            // Numbers are read as BigDecimal; one whose exponent overflows fails in Jackson with this unchecked
            // exception.
            throw new OciFormatException(document, "", "not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new OciFormatException(document, "", "expected a JSON object, found " + describe(root));
        }
        return new JsonFields(document, "", root);
    }

    boolean has(String field) {
        JsonNode value = node.get(field);
        return value != null && !value.isNull();
    }

    /** A string that must be present and not empty. */
    String requiredString(String field) {
        String value = string(field);
        if (value.isEmpty()) {
            throw error(field, has(field) ? "must not be empty" : "missing");
        }
        return value;
    }

    String string(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return "";
        }
        if (!value.isTextual()) {
            throw error(field, "expected a string, found " + describe(value));
        }
        return value.textValue();
    }

    long nonNegativeLong(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw error(field, "missing");
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
            throw error(field, "expected a non-negative integer, found " + describe(value));
        }
        return value.longValue();
    }

    long optionalLong(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return 0;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw error(field, "expected an integer, found " + describe(value));
        }
        return value.longValue();
    }

    int optionalInt(String field) {
        long value = optionalLong(field);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw error(field, "integer " + value + " is out of range");
        }
        return (int) value;
    }

    /** The schemaVersion of a manifest or an index: 2, the only one of OCI's and of Docker's schema 2. */
    int schemaVersion2() {
        int schemaVersion = optionalInt("schemaVersion");
        if (schemaVersion != 2) {
            throw error("schemaVersion", "expected 2, found " + schemaVersion);
        }
        return schemaVersion;
    }

    /** The mediaType: empty, or one that {@code accepted} takes; else an error saying it is not {@code kind}. */
    String mediaType(Predicate<String> accepted, String kind) {
        String mediaType = string("mediaType");
        if (!mediaType.isEmpty() && !accepted.test(mediaType)) {
            throw error("mediaType", "\"" + mediaType + "\" is not " + kind);
        }
        return mediaType;
    }

    boolean optionalBoolean(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw error(field, "expected true or false, found " + describe(value));
        }
        return value.booleanValue();
    }

    Digest digest(String field) {
        String text = requiredString(field);
        try {
            return Digest.parse(text);
        } catch (IllegalArgumentException e) {
            throw error(field, e.getMessage());
        }
    }

    /** An RFC 3339 time as Go writes it, or null when absent. */
    Instant time(String field) {
        String text = string(field);
        if (text.isEmpty()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant();
        } catch (DateTimeParseException e) {
            throw error(field, "not an RFC 3339 time: \"" + text + "\"");
        }
    }

    List<String> strings(String field) {
        return array(field, "strings", (element, at) -> {
            if (!element.isTextual()) {
                throw error(at, "expected a string, found " + describe(element));
            }
            return element.textValue();
        });
    }

    List<Digest> digests(String field) {
        List<String> texts = strings(field);
        List<Digest> result = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            try {
                result.add(Digest.parse(texts.get(i)));
            } catch (IllegalArgumentException e) {
                throw error(field + "[" + i + "]", e.getMessage());
            }
        }
        return List.copyOf(result);
    }

    Map<String, String> stringMap(String field) {
        JsonNode value = objectValue(field, "an object of strings");
        if (value == null) {
            return Map.of();
        }
        Map<String, String> result = new TreeMap<>();
        for (Map.Entry<String, JsonNode> entry : value.properties()) {
            if (!entry.getValue().isTextual()) {
                throw error(field + "." + entry.getKey(), "expected a string, found " + describe(entry.getValue()));
            }
            result.put(entry.getKey(), entry.getValue().textValue());
        }
        return result;
    }

    /** The keys of an object whose values are all {@code {}}, Go's way of writing a set (ExposedPorts, Volumes). */
    Set<String> keySet(String field) {
        JsonNode value = objectValue(field, "an object");
        if (value == null) {
            return Set.of();
        }
        Set<String> result = new TreeSet<>();
        for (Iterator<String> names = value.fieldNames(); names.hasNext(); ) {
            result.add(names.next());
        }
        return result;
    }

    /** A nested object, or null when absent. */
    JsonFields object(String field) {
        JsonNode value = objectValue(field, "an object");
        return value == null ? null : new JsonFields(document, join(field), value);
    }

    JsonFields requiredObject(String field) {
        JsonFields object = object(field);
        if (object == null) {
            throw error(field, "missing");
        }
        return object;
    }

    List<JsonFields> objects(String field) {
        return array(field, "objects", (element, at) -> {
            if (!element.isObject()) {
                throw error(at, "expected an object, found " + describe(element));
            }
            return new JsonFields(document, join(at), element);
        });
    }

    /** An array of arrays of objects (BuildKit's cache record inputs); empty when absent. */
    List<List<JsonFields>> objectArrays(String field) {
        return array(field, "arrays", (element, at) -> {
            JsonFields holder = new JsonFields(
                    document,
                    path,
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                            .objectNode()
                            .set("element", element));
            try {
                return holder.objects("element");
            } catch (OciFormatException e) {
                throw error(at, "expected an array of objects");
            }
        });
    }

    /** Reads one element of an array; {@code at} is its field with its index, e.g. "layers[1]", for errors. */
    @FunctionalInterface
    private interface Element<T> {
        T read(JsonNode element, String at);
    }

    /** The elements of the array {@code field}, none when it is absent or null; {@code elements} names them in errors. */
    private <T> List<T> array(String field, String elements, Element<T> read) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw error(field, "expected an array of " + elements + ", found " + describe(value));
        }
        List<T> result = new ArrayList<>(value.size());
        for (int i = 0; i < value.size(); i++) {
            result.add(read.read(value.get(i), field + "[" + i + "]"));
        }
        return List.copyOf(result);
    }

    /** The object at {@code field}, or null when it is absent or null; anything else is an error naming {@code expected}. */
    private JsonNode objectValue(String field, String expected) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isObject()) {
            throw error(field, "expected " + expected + ", found " + describe(value));
        }
        return value;
    }

    /** Every field not in {@code known}, kept so that re-serialising loses nothing. */
    Map<String, JsonNode> unknown(Set<String> known) {
        Map<String, JsonNode> result = new TreeMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!known.contains(entry.getKey())) {
                result.put(entry.getKey(), entry.getValue().deepCopy());
            }
        }
        return result;
    }

    OciFormatException error(String field, String problem) {
        return new OciFormatException(document, join(field), problem);
    }

    private String join(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    private static String describe(JsonNode value) {
        if (value == null || value.isMissingNode()) {
            return "nothing";
        }
        JsonNodeType type = value.getNodeType();
        return switch (type) {
            case STRING -> "string \"" + abbreviate(value.textValue()) + "\"";
            case NUMBER -> "number " + value.asText();
            case BOOLEAN -> value.asText();
            case NULL -> "null";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
