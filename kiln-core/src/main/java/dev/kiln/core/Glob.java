package dev.kiln.core;

import java.util.regex.Pattern;

/**
 * One path element matched with Go's filepath.Match syntax, which LLB wildcards use: {@code *} any run of
 * characters but '/', {@code ?} one character but '/', {@code [a-z]} / {@code [^a-z]} a class, {@code \c} the
 * character c itself.
 */
public final class Glob {

    private final Pattern regex;

    private Glob(Pattern regex) {
        this.regex = regex;
    }

    /** Compiles a pattern; a malformed one is an {@link IllegalArgumentException} naming the pattern. */
    public static Glob compile(String pattern) {
        StringBuilder re = new StringBuilder();
        int[] cps = pattern.codePoints().toArray();
        int i = 0;
        while (i < cps.length) {
            int c = cps[i];
            switch (c) {
                case '*' -> {
                    re.append("[^/]*");
                    i++;
                }
                case '?' -> {
                    re.append("[^/]");
                    i++;
                }
                case '[' -> i = appendClass(pattern, cps, i, re);
                case '\\' -> {
                    if (i + 1 >= cps.length) {
                        throw bad(pattern, "trailing backslash");
                    }
                    appendLiteral(re, cps[i + 1]);
                    i += 2;
                }
                default -> {
                    appendLiteral(re, c);
                    i++;
                }
            }
        }
        return new Glob(Pattern.compile(re.toString(), Pattern.DOTALL));
    }

    public boolean matches(String name) {
        return regex.matcher(name).matches();
    }

    /** Whether a path element holds an unescaped wildcard character, as Go's containsWildcards decides. */
    public static boolean hasWildcards(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '*' || c == '?' || c == '[') {
                return true;
            }
        }
        return false;
    }

    /**
     * Translates the class starting at {@code cps[start] == '['} into a Java regex class and returns the index
     * after its closing bracket. Follows Go: an optional '^' negates, at least one range is needed before ']'
     * closes, '-' and ']' must be escaped to stand for themselves, and a range whose ends are reversed matches
     * nothing.
     */
    static int appendClass(String pattern, int[] cps, int start, StringBuilder re) {
        int i = start + 1;
        boolean negated = false;
        if (i < cps.length && cps[i] == '^') {
            negated = true;
            i++;
        }
        StringBuilder ranges = new StringBuilder();
        int count = 0;
        while (true) {
            if (i >= cps.length) {
                throw bad(pattern, "unterminated character class");
            }
            if (cps[i] == ']' && count > 0) {
                i++;
                break;
            }
            int[] lo = classChar(pattern, cps, i);
            i = lo[1];
            int hi = lo[0];
            if (i < cps.length && cps[i] == '-') {
                int[] h = classChar(pattern, cps, i + 1);
                hi = h[0];
                i = h[1];
            }
            if (lo[0] <= hi) {
                ranges.append(String.format("\\x{%x}-\\x{%x}", lo[0], hi));
            }
            count++;
        }
        if (ranges.isEmpty()) {
            re.append(negated ? "." : "(?!)");
        } else {
            re.append('[').append(negated ? "^" : "").append(ranges).append(']');
        }
        return i;
    }

    /** One possibly escaped class character: {value, next index}. */
    private static int[] classChar(String pattern, int[] cps, int i) {
        if (i >= cps.length) {
            throw bad(pattern, "unterminated character class");
        }
        int c = cps[i];
        if (c == '-' || c == ']') {
            throw bad(pattern, "'" + (char) c + "' must be escaped in a character class");
        }
        if (c == '\\') {
            if (i + 1 >= cps.length) {
                throw bad(pattern, "unterminated character class");
            }
            return new int[] {cps[i + 1], i + 2};
        }
        return new int[] {c, i + 1};
    }

    static void appendLiteral(StringBuilder re, int codePoint) {
        re.append(String.format("\\x{%x}", codePoint));
    }

    private static IllegalArgumentException bad(String pattern, String why) {
        return new IllegalArgumentException("invalid pattern \"" + pattern + "\": " + why);
    }
}
