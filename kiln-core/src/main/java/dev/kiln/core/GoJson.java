package dev.kiln.core;

import java.util.List;

/**
 * JSON strings exactly as Go's encoding/json writes them, the one escaping rule of the whole tree. BuildKit puts
 * JSON made by Go into op attributes and image documents, so bytes (and digests) match only when strings are
 * escaped as Go does: {@code <}, {@code >} and {@code &} as &#92;u003c, &#92;u003e and &#92;u0026 (Go's HTML-safe default),
 * U+2028 and U+2029 escaped for JavaScript, {@code \b \f \n \r \t} by their short names (Go 1.22 and later), other
 * control characters as lowercase &#92;u00xx, everything else as is. Modules that write JSON with Jackson hand
 * {@link #escape(int)} to its character-escape hook; the rest write with this class directly, which loads nothing.
 */
public final class GoJson {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private GoJson() {}

    /** {@code value} as a quoted JSON string. */
    public static String string(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2);
        appendString(out, value);
        return out.toString();
    }

    /** Appends {@code value} as a quoted JSON string. */
    public static void appendString(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            String escaped = escape(c);
            if (escaped == null) {
                out.append(c);
            } else {
                out.append(escaped);
            }
        }
        out.append('"');
    }

    /** A JSON array of strings, compact, as Go's json.Marshal writes a {@code []string}. */
    public static String stringArray(List<String> values) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            appendString(out, values.get(i));
        }
        return out.append(']').toString();
    }

    /** How Go writes the UTF-16 unit {@code c} inside a JSON string, or null when it is written as it is. */
    public static String escape(int c) {
        return switch (c) {
            case '"' -> "\\\"";
            case '\\' -> "\\\\";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            case '\b' -> "\\b";
            case '\f' -> "\\f";
            // Go escapes these so that its JSON can be embedded in HTML and JavaScript.
            case '<', '>', '&', '\u2028', '\u2029' -> unicodeEscape(c);
            default -> c < 0x20 ? unicodeEscape(c) : null;
        };
    }

    private static String unicodeEscape(int c) {
        char[] escaped = {'\\', 'u', HEX[c >> 12 & 0xf], HEX[c >> 8 & 0xf], HEX[c >> 4 & 0xf], HEX[c & 0xf]};
        return new String(escaped);
    }
}
