package dev.kiln.core;

import java.util.Map;

/**
 * A text in double quotes with its control characters, quotes and backslashes escaped, as Go's {@code %q} writes
 * it: BuildKit quotes a failed command so, and a heredoc's newlines then read {@code \n} in a one-line message.
 */
public final class GoQuoted {

    /** The characters Go writes as a backslash and a letter rather than by their code. */
    private static final Map<Integer, String> NAMED = Map.of(
            (int) '"',
            "\\\"",
            (int) '\\',
            "\\\\",
            0x07,
            "\\a",
            (int) '\b',
            "\\b",
            (int) '\f',
            "\\f",
            (int) '\n',
            "\\n",
            (int) '\r',
            "\\r",
            (int) '\t',
            "\\t",
            0x0b,
            "\\v");

    private GoQuoted() {}

    /** {@code text} quoted. */
    public static String of(String text) {
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        text.codePoints().mapToObj(GoQuoted::escaped).forEach(quoted::append);
        return quoted.append('"').toString();
    }

    private static String escaped(int codePoint) {
        String named = NAMED.get(codePoint);
        if (named != null) {
            return named;
        }
        if (codePoint < 0x80 && Character.isISOControl(codePoint)) {
            return String.format("\\x%02x", codePoint);
        }
        int type = Character.getType(codePoint);
        if (type == Character.CONTROL || type == Character.FORMAT) {
            return codePoint <= 0xffff ? String.format("\\u%04x", codePoint) : String.format("\\U%08x", codePoint);
        }
        return Character.toString(codePoint);
    }
}
