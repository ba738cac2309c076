package dev.kiln.oci.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The distribution spec's error body, {@code {"errors":[{"code":..,"message":..,"detail":..}]}}, made readable. */
final class RegistryErrors {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RegistryErrors() {}

    static List<String> codes(byte[] body) {
        List<String> codes = new ArrayList<>();
        for (JsonNode error : errors(body)) {
            String code = error.path("code").asText("");
            if (!code.isEmpty()) {
                codes.add(code);
            }
        }
        return codes;
    }

    /** "CODE: message (detail)" for each error, or the body's text when it is not the spec's JSON; "" when empty. */
    static String describe(byte[] body, String prefix) {
        List<String> parts = new ArrayList<>();
        for (JsonNode error : errors(body)) {
            String code = error.path("code").asText("");
            String message = error.path("message").asText("");
            JsonNode detail = error.path("detail");
            String text = (code.isEmpty() ? "" : code + ": ") + message;
            if (detail.isTextual() && !detail.asText().isEmpty()) {
                text += " (" + detail.asText() + ")";
            } else if (detail.isContainerNode() && !detail.isEmpty()) {
                text += " (" + detail + ")";
            }
            parts.add(text);
        }
        if (parts.isEmpty()) {
            String text = new String(body, StandardCharsets.UTF_8).strip();
            if (text.length() > 300) {
                text = text.substring(0, 300) + "...";
            }
            return text.isEmpty() ? "" : prefix + text;
        }
        return prefix + String.join("; ", parts);
    }

    private static List<JsonNode> errors(byte[] body) {
        if (body.length == 0) {
            return List.of();
        }
        try {
            JsonNode root = JSON.readTree(body);
            if (root != null && root.path("errors").isArray()) {
                List<JsonNode> errors = new ArrayList<>();
                root.path("errors").forEach(errors::add);
                return errors;
            }
        } catch (IOException e) {
            // not the spec's JSON: describe() shows the text as it is
        }
        return List.of();
    }
}
