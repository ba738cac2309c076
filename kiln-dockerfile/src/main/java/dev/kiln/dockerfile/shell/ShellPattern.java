package dev.kiln.dockerfile.shell;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The patterns of ${a#pat}, ${a%pat} and ${a/pat/repl}: {@code ?} is one character, {@code *} any run
 * of them, a backslash escapes {@code *}, {@code ?} and itself. Bracket expressions are not supported,
 * as in BuildKit.
 */
final class ShellPattern {

    private ShellPattern() {}

    static Pattern toRegex(String pattern, boolean greedy, boolean anchored) throws ShellException {
        StringBuilder regex = new StringBuilder(pattern.length() + 4);
        if (anchored) {
            regex.append('^');
        }
        String star = greedy ? ".*" : ".*?";
        int[] chars = pattern.codePoints().toArray();
        for (int i = 0; i < chars.length; i++) {
            int c = chars[i];
            switch (c) {
                case '*' -> {
                    regex.append(star);
                    continue;
                }
                case '?' -> {
                    regex.append('.');
                    continue;
                }
                case '\\' -> {
                    // "}" and "/" are escaped only to get them past the ${...} parser
                    if (i + 1 < chars.length && (chars[i + 1] == '}' || chars[i + 1] == '/')) {
                        continue;
                    }
                    regex.append('\\');
                    i++;
                    if (i >= chars.length || (chars[i] != '*' && chars[i] != '?' && chars[i] != '\\')) {
                        String what = i >= chars.length ? "" : Character.toString(chars[i]);
                        throw new ShellException(
                                "invalid pattern (" + pattern + ") in substitution: invalid escape '\\" + what + "'");
                    }
                    c = chars[i];
                }
                case '[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$' -> regex.append('\\');
                default -> {}
            }
            regex.appendCodePoint(c);
        }
        try {
            return Pattern.compile(regex.toString());
        } catch (PatternSyntaxException e) {
            throw new ShellException("invalid pattern (" + pattern + ") in substitution: " + e.getDescription());
        }
    }

    /** ${value#pattern} (shortest) or ${value##pattern} (longest). */
    static String trimPrefix(String pattern, String value, boolean greedy) throws ShellException {
        Matcher m = toRegex(pattern, greedy, true).matcher(value);
        return m.find() ? value.substring(m.end()) : value;
    }

    /**
     * ${value%pattern} or ${value%%pattern}: a regex finds leftmost matches only, so the pattern and the value
     * are reversed, trimmed as a prefix, and the result reversed back.
     */
    static String trimSuffix(String pattern, String value, boolean greedy) throws ShellException {
        String trimmed = trimPrefix(reversePattern(pattern), reverse(value), greedy);
        return reverse(trimmed);
    }

    /** Reverses a pattern but keeps each escape before the character it escapes ("a\*c" becomes "c\*a"). */
    static String reversePattern(String pattern) {
        int[] chars = pattern.codePoints().toArray();
        int[] out = new int[chars.length];
        int last = chars.length - 1;
        for (int i = 0; i <= last; ) {
            int outIndex = last - i;
            if (chars[i] == '\\' && i != last) {
                out[outIndex - 1] = chars[i];
                out[outIndex] = chars[i + 1];
                i += 2;
            } else {
                out[outIndex] = chars[i];
                i++;
            }
        }
        return new String(out, 0, out.length);
    }

    private static String reverse(String text) {
        int[] chars = text.codePoints().toArray();
        int[] out = new int[chars.length];
        for (int i = 0; i < chars.length; i++) {
            out[chars.length - 1 - i] = chars[i];
        }
        return new String(out, 0, out.length);
    }
}
