package dev.kiln.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of TOML that buildkitd.toml files use: tables ({@code [grpc]}, {@code [registry."host:5000"]}), and keys
 * with strings, booleans, integers and one-line arrays of those. Each value is found by its path of names, the table's
 * then the key's. Anything else is an error naming the file and line, so a config is never half read.
 */
final class TomlFile {

    private final Map<List<String>, Object> values;

    private TomlFile(Map<List<String>, Object> values) {
        this.values = values;
    }

    Map<List<String>, Object> values() {
        return values;
    }

    static TomlFile read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    static TomlFile parse(String text, String source) {
        Map<List<String>, Object> values = new LinkedHashMap<>();
        List<String> table = List.of();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String where = source + ":" + (i + 1);
            Cursor line = new Cursor(lines[i], where);
            line.skipBlank();
            if (line.atEnd()) {
                continue;
            }
            if (line.peek() == '[') {
                line.next();
                if (line.peek() == '[') {
                    throw line.error("arrays of tables ([[...]]) are not supported");
                }
                table = line.names(']');
                line.expect(']');
            } else {
                List<String> key = new ArrayList<>(table);
                key.addAll(line.names('='));
                line.expect('=');
                Object value = line.value();
                if (values.put(List.copyOf(key), value) != null) {
                    throw line.error("key " + String.join(".", key) + " is set twice");
                }
            }
            line.skipBlank();
            if (!line.atEnd()) {
                throw line.error("unexpected text: " + line.rest());
            }
        }
        return new TomlFile(values);
    }

    /** Reads one line. */
    private static final class Cursor {

        private final String text;
        private final String where;
        private int at;

        Cursor(String text, String where) {
            this.text = text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            this.where = where;
        }

        boolean atEnd() {
            return at >= text.length() || text.charAt(at) == '#';
        }

        char peek() {
            return at < text.length() ? text.charAt(at) : '\0';
        }

        char next() {
            return text.charAt(at++);
        }

        String rest() {
            return text.substring(at);
        }

        void skipBlank() {
            while (at < text.length() && (text.charAt(at) == ' ' || text.charAt(at) == '\t')) {
                at++;
            }
        }

        void expect(char c) {
            skipBlank();
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            at++;
        }

        /** Dotted names up to {@code end}: bare ({@code grpc}) or quoted ({@code "host:5000"}). */
        List<String> names(char end) {
            List<String> names = new ArrayList<>();
            while (true) {
                skipBlank();
                if (peek() == '"' || peek() == '\'') {
                    names.add(string());
                } else {
                    int start = at;
                    while (at < text.length() && (Character.isLetterOrDigit(peek()) || peek() == '_' || peek() == '-')) {
                        at++;
                    }
                    if (start == at) {
                        throw error("expected a name");
                    }
                    names.add(text.substring(start, at));
                }
                skipBlank();
                if (peek() == '.') {
                    at++;
                } else if (peek() == end) {
                    return names;
                } else {
                    throw error("expected '.' or '" + end + "'");
                }
            }
        }

        Object value() {
            skipBlank();
            char c = peek();
            if (c == '"' || c == '\'') {
                return string();
            }
            if (c == '[') {
                at++;
                List<Object> items = new ArrayList<>();
                while (true) {
                    skipBlank();
                    if (peek() == ']') {
                        at++;
                        return List.copyOf(items);
                    }
                    items.add(value());
                    skipBlank();
                    if (peek() == ',') {
                        at++;
                    } else if (peek() != ']') {
                        throw error("expected ',' or ']' in an array (arrays must be on one line)");
                    }
                }
            }
            int start = at;
            while (at < text.length() && " \t,]#".indexOf(peek()) < 0) {
                at++;
            }
            String word = text.substring(start, at);
            if (word.equals("true") || word.equals("false")) {
                return Boolean.parseBoolean(word);
            }
            try {
                return Long.parseLong(word.replace("_", ""));
            } catch (NumberFormatException e) {
                throw error("not a value: " + (word.isEmpty() ? rest() : word));
            }
        }

        private String string() {
            char quote = next();
            StringBuilder out = new StringBuilder();
            while (true) {
                if (at >= text.length()) {
                    throw error("unterminated string");
                }
                char c = next();
                if (c == quote) {
                    return out.toString();
                }
                if (c == '\\' && quote == '"') {
                    if (at >= text.length()) {
                        throw error("unterminated string");
                    }
                    char escaped = next();
                    switch (escaped) {
                        case 'n' -> out.append('\n');
                        case 't' -> out.append('\t');
                        case '"' -> out.append('"');
                        case '\\' -> out.append('\\');
                        default -> throw error("unsupported escape \\" + escaped);
                    }
                } else {
                    out.append(c);
                }
            }
        }

        IllegalArgumentException error(String message) {
            return new IllegalArgumentException(where + ": " + message);
        }
    }
}
