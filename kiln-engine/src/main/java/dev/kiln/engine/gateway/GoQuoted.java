package dev.kiln.engine.gateway;

/**
 * A text in double quotes with its control characters, quotes and backslashes escaped, as Go's {@code %q} writes
 * it: BuildKit quotes a failed command so, and a heredoc's newlines then read {@code \n} in a one-line message.
 */
final class GoQuoted {

    private GoQuoted() {}

    static String of(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        text.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                case 0x07 -> out.append("\\a");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case 0x0b -> out.append("\\v");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\x%02x", c));
                    } else if (Character.getType(c) == Character.CONTROL || Character.getType(c) == Character.FORMAT) {
                        out.append(c <= 0xffff ? String.format("\\u%04x", c) : String.format("\\U%08x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.append('"').toString();
    }
}
