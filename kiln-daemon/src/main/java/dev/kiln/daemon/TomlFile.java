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
 * The part of TOML that buildkitd.toml files use: tables ({@code [grpc]}, {@code [registry."host:5000"]}), arrays of
 * tables ({@code [[worker.oci.gcpolicy]]}), and keys with strings, booleans, integers and arrays of those (over
 * several lines if need be). Each value is found by its path of names, the table's then the key's; an array of tables
 * is a list of {@link Table}s at its path. Anything else is an error naming the file and line, so a config is never
 * half read, and each value remembers its line for the errors of whoever reads it.
 */
final class TomlFile {

    /** One table of an array of tables: its keys (dotted when nested) and where each was set. */
    record Table(Map<String, Object> values, Map<String, String> lines) {

        /** "FILE:LINE" of {@code key}, or of the table's header when the key is not set. */
        String where(String key) {
            return lines.getOrDefault(key, lines.get(""));
        }
    }

    private final Map<List<String>, Object> values;
    private final Map<List<String>, String> lines;

    private TomlFile(Map<List<String>, Object> values, Map<List<String>, String> lines) {
        this.values = values;
        this.lines = lines;
    }

    Map<List<String>, Object> values() {
        return values;
    }

    /** "FILE:LINE" where the value at {@code path} was set (an array of tables: its first header). */
    String where(List<String> path) {
        return lines.getOrDefault(path, "config");
    }

    static TomlFile read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    static TomlFile parse(String text, String source) {
        Map<List<String>, Object> values = new LinkedHashMap<>();
        Map<List<String>, String> lines = new LinkedHashMap<>();
        List<String> table = List.of();
        // the table of an array of tables that keys go to, or null for a plain table
        Table element = null;
        Cursor line = new Cursor(text.split("\n", -1), source);
        for (; line.hasLine(); line.nextLine()) {
            line.skipBlank();
            if (line.atEnd()) {
                continue;
            }
            String where = line.where();
            if (line.peek() == '[') {
                line.next();
                boolean array = line.peek() == '[';
                if (array) {
                    line.next();
                }
                table = List.copyOf(line.names(']'));
                line.expect(']');
                if (array) {
                    line.expect(']');
                    Object existing = values.get(table);
                    if (existing != null && !(existing instanceof ArrayList<?>)) {
                        throw line.error(String.join(".", table) + " is already a value, not an array of tables");
                    }
                    @SuppressWarnings("unchecked")
                    List<Table> tables = existing == null ? new ArrayList<>() : (List<Table>) existing;
                    element = new Table(new LinkedHashMap<>(), new LinkedHashMap<>());
                    element.lines().put("", where);
                    tables.add(element);
                    values.put(table, tables);
                    lines.putIfAbsent(table, where);
                } else {
                    List<String> header = table;
                    if (values.keySet().stream()
                            .anyMatch(key -> values.get(key) instanceof ArrayList<?>
                                    && header.size() > key.size()
                                    && header.subList(0, key.size()).equals(key))) {
                        throw line.error("tables inside an array of tables are not supported");
                    }
                    element = null;
                }
            } else {
                List<String> names = line.names('=');
                line.expect('=');
                Object value = line.value();
                if (element != null) {
                    String key = String.join(".", names);
                    if (element.values().put(key, value) != null) {
                        throw new IllegalArgumentException(where + ": key " + key + " is set twice");
                    }
                    element.lines().put(key, where);
                } else {
                    List<String> key = new ArrayList<>(table);
                    key.addAll(names);
                    if (values.put(List.copyOf(key), value) != null) {
                        throw new IllegalArgumentException(where + ": key " + String.join(".", key) + " is set twice");
                    }
                    lines.put(List.copyOf(key), where);
                }
            }
            line.skipBlank();
            if (!line.atEnd()) {
                throw line.error("unexpected text: " + line.rest());
            }
        }
        // arrays of tables were built in place; hand them out unchangeable
        values.replaceAll((key, value) -> value instanceof ArrayList<?> list ? List.copyOf(list) : value);
        return new TomlFile(values, lines);
    }

    /** Reads the lines: one a statement, except for an array that goes on over the next lines. */
    private static final class Cursor {

        private final String[] lines;
        private final String source;
        private int row;
        private String text;
        private int at;

        Cursor(String[] lines, String source) {
            this.lines = lines;
            this.source = source;
            load();
        }

        boolean hasLine() {
            return row < lines.length;
        }

        void nextLine() {
            row++;
            load();
        }

        private void load() {
            String current = row < lines.length ? lines[row] : "";
            text = current.endsWith("\r") ? current.substring(0, current.length() - 1) : current;
            at = 0;
        }

        String where() {
            return source + ":" + (row + 1);
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
                    while (at < text.length()
                            && (Character.isLetterOrDigit(peek()) || peek() == '_' || peek() == '-')) {
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
                    skipBlankLines();
                    if (peek() == ']') {
                        at++;
                        return List.copyOf(items);
                    }
                    items.add(value());
                    skipBlankLines();
                    if (peek() == ',') {
                        at++;
                    } else if (peek() != ']') {
                        throw error("expected ',' or ']' in an array");
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

        /** Blanks, comments and line ends inside an array. */
        private void skipBlankLines() {
            skipBlank();
            while (atEnd()) {
                if (row + 1 >= lines.length) {
                    throw error("unterminated array: expected ']'");
                }
                nextLine();
                skipBlank();
            }
        }

        IllegalArgumentException error(String message) {
            return new IllegalArgumentException(where() + ": " + message);
        }
    }
}
