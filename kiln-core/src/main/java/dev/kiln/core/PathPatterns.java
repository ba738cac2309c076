package dev.kiln.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Docker's path patterns, as used by .dockerignore and by include/exclude filters of local sources and copies.
 *
 * <p>A pattern is a Go filepath.Match pattern over a slash-separated path relative to the context, plus
 * {@code **} for any number of directories. A pattern that matches a directory matches everything under it. A
 * leading {@code !} makes an exception: the result for a path is decided by the last pattern that matches it
 * (or one of its parent directories), so later patterns win. Leading "/" and "./" and redundant separators are
 * ignored, both in patterns and in paths.
 *
 * <p>Each pattern is classified like moby/patternmatcher does (exact, prefix {@code dir/**}, suffix
 * {@code **}{@code /name}, or regular expression) so that edge cases match Docker's, e.g. "abc/**" does not match
 * "abc" itself while "**file" matches "myfile".
 */
public final class PathPatterns {

    private static final PathPatterns NONE = new PathPatterns(List.of());

    private final List<Rule> rules;
    private final boolean negations;

    private PathPatterns(List<Rule> rules) {
        this.rules = rules;
        this.negations = rules.stream().anyMatch(Rule::negated);
    }

    /** Patterns in order; blank ones are skipped. A malformed pattern is an IllegalArgumentException naming it. */
    public static PathPatterns compile(List<String> patterns) {
        if (patterns == null || patterns.isEmpty()) {
            return NONE;
        }
        List<Rule> rules = new ArrayList<>();
        for (String raw : patterns) {
            String p = raw.strip();
            if (p.isEmpty()) {
                continue;
            }
            boolean negated = false;
            if (p.charAt(0) == '!') {
                p = p.substring(1).strip();
                if (p.isEmpty()) {
                    throw new IllegalArgumentException(
                            "invalid pattern \"" + raw + "\": \"!\" needs a pattern after it");
                }
                negated = true;
            }
            rules.add(Rule.compile(raw, normalize(p), negated));
        }
        return rules.isEmpty() ? NONE : new PathPatterns(List.copyOf(rules));
    }

    public static PathPatterns none() {
        return NONE;
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /** Whether any pattern is an exception ("!..."), which stops a walk from skipping matched subtrees blindly. */
    public boolean hasNegations() {
        return negations;
    }

    /** Whether the path (or one of its parent directories) is matched, with later patterns winning. */
    public boolean matches(String path) {
        Match m = Match.TOP;
        String p = normalize(path);
        if (p.isEmpty()) {
            return false;
        }
        int from = 0;
        while (true) {
            int slash = p.indexOf('/', from);
            String prefix = slash < 0 ? p : p.substring(0, slash);
            m = match(prefix, m);
            if (slash < 0) {
                return m.matched();
            }
            from = slash + 1;
        }
    }

    /**
     * Incremental form of {@link #matches} for a walk: the result for {@code path} given the result for its parent
     * directory ({@link Match#TOP} for entries at the top). {@code path} is the full relative path.
     */
    public Match match(String path, Match parent) {
        String p = normalize(path);
        boolean[] hits = new boolean[rules.size()];
        boolean matched = false;
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            hits[i] = (parent.hits != null && parent.hits[i]) || rule.matches(p);
            if (hits[i]) {
                matched = !rule.negated();
            }
        }
        return new Match(hits, matched);
    }

    /**
     * False only when no path strictly under {@code dir} can be matched, so a walk looking for matches (include
     * patterns) can skip the directory. True is a "maybe".
     */
    public boolean mayMatchUnder(String dir) {
        String d = normalize(dir);
        if (d.isEmpty()) {
            return !rules.isEmpty();
        }
        if (matches(d)) {
            return true;
        }
        for (Rule rule : rules) {
            if (!rule.negated() && rule.mayMatchUnder(d)) {
                return true;
            }
        }
        return false;
    }

    /**
     * True only when {@code dir} and every path under it are matched, so a walk dropping matches (exclude
     * patterns) can skip the directory without reading it.
     */
    public boolean matchesAllUnder(String dir) {
        String d = normalize(dir);
        if (d.isEmpty() || !matches(d)) {
            return false;
        }
        for (Rule rule : rules) {
            if (rule.negated() && rule.mayMatchUnder(d)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return rules.stream().map(Rule::source).toList().toString();
    }

    /** A path made comparable to patterns: Go-cleaned, without leading "/" or "./", "" for the top. */
    public static String normalize(String path) {
        String p = GoPath.clean(path);
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.equals(".") ? "" : p;
    }

    /** The outcome of matching one path, carrying per-pattern hits for its children. */
    public static final class Match {
        /** The state above the top-level entries: nothing matched yet. */
        public static final Match TOP = new Match(null, false);

        private final boolean[] hits;
        private final boolean matched;

        private Match(boolean[] hits, boolean matched) {
            this.hits = hits;
            this.matched = matched;
        }

        public boolean matched() {
            return matched;
        }

        @Override
        public String toString() {
            return "Match[" + matched + ", " + Arrays.toString(hits) + "]";
        }
    }

    private enum Kind {
        EXACT,
        PREFIX,
        SUFFIX,
        REGEX
    }

    /** One compiled pattern. {@code regex} expresses the same match for every kind, for "could match under". */
    private record Rule(String source, String cleaned, boolean negated, Kind kind, Pattern regex) {

        static Rule compile(String source, String cleaned, boolean negated) {
            if (cleaned.isEmpty()) {
                // "/" or "." name the context itself, which Docker never matches (paths are never empty).
                return new Rule(source, cleaned, negated, Kind.EXACT, Pattern.compile("(?!)"));
            }
            int[] cps = cleaned.codePoints().toArray();
            StringBuilder re = new StringBuilder();
            Kind kind = Kind.EXACT;
            int i = 0;
            boolean first = true;
            try {
                while (i < cps.length) {
                    int c = cps[i];
                    if (c == '*') {
                        if (i + 1 < cps.length && cps[i + 1] == '*') {
                            i += 2;
                            if (i < cps.length && cps[i] == '/') {
                                i++;
                            }
                            if (i >= cps.length) {
                                if (kind == Kind.EXACT) {
                                    kind = Kind.PREFIX;
                                } else {
                                    re.append(".*");
                                    kind = Kind.REGEX;
                                }
                            } else {
                                re.append("(?:.*/)?");
                                kind = Kind.REGEX;
                            }
                            if (first) {
                                kind = Kind.SUFFIX;
                            }
                        } else {
                            re.append("[^/]*");
                            kind = Kind.REGEX;
                            i++;
                        }
                    } else if (c == '?') {
                        re.append("[^/]");
                        kind = Kind.REGEX;
                        i++;
                    } else if (c == '\\') {
                        if (i + 1 < cps.length) {
                            Glob.appendLiteral(re, cps[i + 1]);
                            kind = Kind.REGEX;
                            i += 2;
                        } else {
                            Glob.appendLiteral(re, c);
                            i++;
                        }
                    } else if (c == '[') {
                        i = Glob.appendClass(source, cps, i, re);
                        kind = Kind.REGEX;
                    } else {
                        Glob.appendLiteral(re, c);
                        i++;
                    }
                    first = false;
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        e.getMessage().replace("\"" + cleaned + "\"", "\"" + source + "\""), e);
            }
            String regex = switch (kind) {
                case EXACT -> literal(cleaned);
                case PREFIX -> literal(cleaned.substring(0, cleaned.length() - 2)) + ".*";
                case SUFFIX -> {
                    String suffix = cleaned.substring(2);
                    yield suffix.startsWith("/")
                            ? "(?:.*" + literal(suffix) + "|" + literal(suffix.substring(1)) + ")"
                            : ".*" + literal(suffix);
                }
                case REGEX -> re.toString();
            };
            return new Rule(source, cleaned, negated, kind, Pattern.compile(regex, Pattern.DOTALL));
        }

        boolean matches(String path) {
            return switch (kind) {
                case EXACT -> path.equals(cleaned);
                case PREFIX -> path.startsWith(cleaned.substring(0, cleaned.length() - 2));
                case SUFFIX -> {
                    String suffix = cleaned.substring(2);
                    yield path.endsWith(suffix) || (suffix.startsWith("/") && path.equals(suffix.substring(1)));
                }
                case REGEX -> regex.matcher(path).matches();
            };
        }

        /** Whether some path that starts with dir + "/" could match: a full match, or input ran out first. */
        boolean mayMatchUnder(String dir) {
            Matcher m = regex.matcher(dir + "/");
            return m.matches() || m.hitEnd();
        }

        private static String literal(String s) {
            StringBuilder re = new StringBuilder();
            s.codePoints().forEach(cp -> Glob.appendLiteral(re, cp));
            return re.toString();
        }
    }
}
