package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.kiln.core.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compact JSON in a fixed field order (the order of the Go structs that define each document), with map keys sorted
 * and Go's string escaping, so one value always gives the same bytes and so the same digest. Its Go escapes and Go's
 * time format are public for the other writers of Go's JSON (attestations, say), so that there is one copy of each.
 */
public final class CanonicalJson {
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED)
            .build();

    static {
        MAPPER.getFactory().setCharacterEscapes(GoJsonFormat.escapes());
    }

    @FunctionalInterface
    interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    /** Writes one element of an array or one member of an object. */
    @FunctionalInterface
    private interface Element<T> {
        void write(JsonGenerator json, T value) throws IOException;
    }

    /** The two containers the documents' collections become, opened under a field name and closed after. */
    private enum Container {
        ARRAY,
        OBJECT;

        <T> void write(JsonGenerator json, String name, Collection<T> values, Element<T> element) throws IOException {
            if (this == ARRAY) {
                json.writeArrayFieldStart(name);
            } else {
                json.writeObjectFieldStart(name);
            }
            for (T value : values) {
                element.write(json, value);
            }
            if (this == ARRAY) {
                json.writeEndArray();
            } else {
                json.writeEndObject();
            }
        }
    }

    private CanonicalJson() {}

    static byte[] write(Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = MAPPER.createGenerator(bytes)) {
            body.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory", e);
        }
        return bytes.toByteArray();
    }

    static void string(JsonGenerator json, String name, String value) throws IOException {
        if (value != null && !value.isEmpty()) {
            json.writeStringField(name, value);
        }
    }

    static void strings(JsonGenerator json, String name, Collection<String> values) throws IOException {
        if (!values.isEmpty()) {
            Container.ARRAY.write(json, name, values, JsonGenerator::writeString);
        }
    }

    static void digests(JsonGenerator json, String name, List<Digest> values) throws IOException {
        Container.ARRAY.write(json, name, values, (out, value) -> out.writeString(value.toString()));
    }

    /** A string map, keys sorted (the caller's maps are sorted already), omitted when empty. */
    static void stringMap(JsonGenerator json, String name, Map<String, String> values) throws IOException {
        if (!values.isEmpty()) {
            Container.OBJECT.write(
                    json,
                    name,
                    values.entrySet(),
                    (out, entry) -> out.writeStringField(entry.getKey(), entry.getValue()));
        }
    }

    /** A list of descriptors as an array, written even when empty (the OCI structs do not omit it). */
    static void descriptors(JsonGenerator json, String name, List<Descriptor> values) throws IOException {
        Container.ARRAY.write(json, name, values, (out, value) -> value.write(out));
    }

    /** A document's string map as it is kept and written: sorted by key, unchangeable, empty for null. */
    static Map<String, String> sortedMap(Map<String, String> values) {
        return values == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** Go's set idiom: {@code {"80/tcp":{}}}. */
    static void keySet(JsonGenerator json, String name, Collection<String> keys) throws IOException {
        if (!keys.isEmpty()) {
            Container.OBJECT.write(json, name, keys, (out, key) -> {
                out.writeObjectFieldStart(key);
                out.writeEndObject();
            });
        }
    }

    static void time(JsonGenerator json, String name, Instant time) throws IOException {
        if (time != null) {
            json.writeStringField(name, formatTime(time));
        }
    }

    static void unknown(JsonGenerator json, Map<String, JsonNode> fields) throws IOException {
        for (Map.Entry<String, JsonNode> entry : fields.entrySet()) {
            json.writeFieldName(entry.getKey());
            json.writeTree(entry.getValue());
        }
    }

    /** Go's RFC3339Nano in UTC: fractional seconds only when non-zero, trailing zeros dropped. */
    static String formatTime(Instant time) {
        return GoJsonFormat.time(time);
    }
}
