package dev.kiln.engine.attest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.core.GoJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * JSON of attestations as Go's encoding/json writes BuildKit's: fields in the order they were added (the order of the
 * Go structs), Go's string escaping ({@link GoJson#escape}), compact for what goes into an image and
 * {@code json.MarshalIndent(v, "", "  ")} for the files a local export writes.
 */
final class AttestJson {

    static final JsonMapper MAPPER = JsonMapper.builder().build();

    static {
        MAPPER.getFactory().setCharacterEscapes(new GoEscapes());
    }

    private AttestJson() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static byte[] compact(JsonNode node) {
        return write(node, null);
    }

    static byte[] indented(JsonNode node) {
        return write(node, new GoIndent());
    }

    static JsonNode parse(byte[] json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }

    private static byte[] write(JsonNode node, PrettyPrinter printer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = MAPPER.createGenerator(bytes)) {
            if (printer != null) {
                json.setPrettyPrinter(printer);
            }
            MAPPER.writeTree(json, node);
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory", e);
        }
        return bytes.toByteArray();
    }

    /** Go's RFC3339Nano in UTC, as a {@code time.Time} marshals: fractional seconds without trailing zeros. */
    static String time(Instant time) {
        LocalDateTime utc = LocalDateTime.ofInstant(time, ZoneOffset.UTC);
        StringBuilder text = new StringBuilder(String.format(
                Locale.ROOT,
                "%04d-%02d-%02dT%02d:%02d:%02d",
                utc.getYear(),
                utc.getMonthValue(),
                utc.getDayOfMonth(),
                utc.getHour(),
                utc.getMinute(),
                utc.getSecond()));
        if (utc.getNano() != 0) {
            text.append('.')
                    .append(String.format(Locale.ROOT, "%09d", utc.getNano()).replaceFirst("0+$", ""));
        }
        return text.append('Z').toString();
    }

    /** Jackson's escapes where they match Go's, {@link GoJson#escape} where Go escapes differently. */
    private static final class GoEscapes extends CharacterEscapes {
        private final int[] ascii;

        GoEscapes() {
            ascii = standardAsciiEscapesForJSON();
            for (int c = 0; c < 0x80; c++) {
                if (ascii[c] == ESCAPE_STANDARD || (ascii[c] == ESCAPE_NONE && GoJson.escape(c) != null)) {
                    ascii[c] = ESCAPE_CUSTOM;
                }
            }
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            String escaped = GoJson.escape(ch);
            return escaped == null ? null : new SerializedString(escaped);
        }
    }

    /**
     * {@code json.MarshalIndent} with an indent of two spaces: {@code "key": value}, one value per line, and empty
     * arrays and objects as {@code []} and {@code {}} (Jackson's default printer puts a space in them).
     */
    private static final class GoIndent implements PrettyPrinter {
        private int depth;

        private void newline(JsonGenerator json) throws IOException {
            json.writeRaw('\n');
            for (int i = 0; i < depth; i++) {
                json.writeRaw("  ");
            }
        }

        @Override
        public void writeRootValueSeparator(JsonGenerator json) {}

        @Override
        public void writeStartObject(JsonGenerator json) throws IOException {
            json.writeRaw('{');
            depth++;
        }

        @Override
        public void writeEndObject(JsonGenerator json, int entries) throws IOException {
            depth--;
            if (entries > 0) {
                newline(json);
            }
            json.writeRaw('}');
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator json) throws IOException {
            json.writeRaw(',');
            newline(json);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator json) throws IOException {
            json.writeRaw(": ");
        }

        @Override
        public void writeStartArray(JsonGenerator json) throws IOException {
            json.writeRaw('[');
            depth++;
        }

        @Override
        public void writeEndArray(JsonGenerator json, int values) throws IOException {
            depth--;
            if (values > 0) {
                newline(json);
            }
            json.writeRaw(']');
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator json) throws IOException {
            json.writeRaw(',');
            newline(json);
        }

        @Override
        public void beforeArrayValues(JsonGenerator json) throws IOException {
            newline(json);
        }

        @Override
        public void beforeObjectEntries(JsonGenerator json) throws IOException {
            newline(json);
        }
    }
}
