package dev.kiln.engine.attest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.oci.GoJsonFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * JSON of attestations as Go's encoding/json writes BuildKit's: fields in the order they were added (the order of the
 * Go structs), Go's string escaping ({@link dev.kiln.core.GoJson#escape}), compact for what goes into an image and
 * {@code json.MarshalIndent(v, "", "  ")} for the files a local export writes.
 */
final class AttestJson {

    static final JsonMapper MAPPER = JsonMapper.builder().build();

    static {
        MAPPER.getFactory().setCharacterEscapes(GoJsonFormat.escapes());
    }

    private AttestJson() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static byte[] compact(JsonNode node) {
        return write(node, null);
    }

    static byte[] indented(JsonNode node) {
        return write(node, goIndent());
    }

    /**
     * {@code json.MarshalIndent} with an indent of two spaces: {@code "key": value}, one value per line, and empty
     * arrays and objects as {@code []} and {@code {}} (Jackson's default printer puts a space in them). A new one for
     * each document: a printer counts the depth it is at.
     */
    private static PrettyPrinter goIndent() {
        Separators separators = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        return new DefaultPrettyPrinter(separators).withObjectIndenter(indenter).withArrayIndenter(indenter);
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
        return GoJsonFormat.time(time);
    }
}
