package dev.kiln.dockerfile.parser;

import java.util.ArrayList;
import java.util.List;

/**
 * An instruction line split into its keyword, its leading {@code --flags} and the rest.
 *
 * @param keyword the first word as written
 * @param flags the {@code --name[=value]} words before the arguments, quotes and escapes removed
 * @param rest the arguments after the flags, trimmed
 */
record CommandLine(String keyword, List<String> flags, String rest) {

    static CommandLine split(String line, int escapeToken) {
        String[] parts = LineParsers.WHITESPACE.split(line.strip(), 2);
        if (parts.length < 2) {
            return new CommandLine(parts[0], List.of(), "");
        }
        List<String> flags = new ArrayList<>();
        String rest = extractFlags(parts[1], escapeToken, flags);
        return new CommandLine(parts[0], List.copyOf(flags), rest.strip());
    }

    /**
     * Collects leading words that start with "--" into {@code flags} and returns what follows them. A bare
     * "--" ends the flags, as in POSIX utilities.
     */
    private static String extractFlags(String line, int escapeToken, List<String> flags) {
        Word word = new Word();
        boolean inWord = false;
        for (int pos = 0; pos <= line.length(); pos++) {
            boolean end = pos == line.length();
            char ch = end ? 0 : line.charAt(pos);
            if (!inWord && !word.inQuote()) {
                if (end) {
                    break;
                }
                if (Character.isWhitespace(ch)) {
                    continue;
                }
                if (ch != '-' || pos + 1 == line.length() || line.charAt(pos + 1) != '-') {
                    return line.substring(pos);
                }
                inWord = true;
            }
            if (end) {
                if (!word.is("--")) {
                    word.finishInto(flags);
                }
                break;
            }
            if (!word.inQuote()) {
                if (Character.isWhitespace(ch)) {
                    inWord = false;
                    if (word.is("--")) {
                        return line.substring(pos);
                    }
                    word.finishInto(flags);
                    continue;
                }
                if (ch == '\'' || ch == '"') {
                    word.openQuote(ch);
                    continue;
                }
                if (ch == escapeToken) {
                    if (pos + 1 == line.length()) {
                        continue;
                    }
                    pos++;
                    ch = line.charAt(pos);
                }
                word.append(ch);
                continue;
            }
            if (ch == word.quote()) {
                word.closeQuote();
                continue;
            }
            if (ch == escapeToken) {
                if (pos + 1 == line.length()) {
                    word.closeQuote();
                    continue;
                }
                pos++;
                ch = line.charAt(pos);
            }
            word.append(ch);
        }
        return "";
    }
}
