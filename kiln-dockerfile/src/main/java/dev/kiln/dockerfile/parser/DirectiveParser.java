package dev.kiln.dockerfile.parser;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parser directives ({@code # syntax=}, {@code # escape=}, {@code # check=}): only at the very top of a
 * Dockerfile, each at most once. The first line that is not a known directive (an instruction, an empty line,
 * any other comment) ends them; after it, a directive-looking comment is just a comment.
 */
public final class DirectiveParser {

    public static final String SYNTAX = "syntax";
    public static final String ESCAPE = "escape";
    public static final String CHECK = "check";

    private static final Set<String> KNOWN = Set.of(SYNTAX, ESCAPE, CHECK);
    private static final Pattern DIRECTIVE =
            Pattern.compile("^([a-zA-Z][a-zA-Z0-9]*)[\\t\\n\\f\\r ]*=[\\t\\n\\f\\r ]*(.+?)[\\t\\n\\f\\r ]*$");

    /** A directive and the line it is on (1-based). */
    public record Directive(String name, String value, int line) {}

    private final String commentPrefix;
    private final List<Directive> seen = new ArrayList<>();
    private int line;
    private boolean done;

    public DirectiveParser() {
        this("#");
    }

    /** A parser for directives behind another comment marker ("" for comments already stripped of "#"). */
    public DirectiveParser(String commentPrefix) {
        this.commentPrefix = commentPrefix;
    }

    /**
     * Looks at the next line of the file.
     *
     * @return the directive on it, if it is one and directives have not ended
     * @throws IllegalArgumentException when a directive is repeated
     */
    public Optional<Directive> parseLine(String text) {
        line++;
        if (done) {
            return Optional.empty();
        }
        if (!text.startsWith(commentPrefix)) {
            done = true;
            return Optional.empty();
        }
        String rest = text.substring(commentPrefix.length()).stripLeading();
        Matcher m = DIRECTIVE.matcher(rest);
        if (!m.matches()) {
            done = true;
            return Optional.empty();
        }
        String name = m.group(1).toLowerCase(Locale.ROOT);
        if (!KNOWN.contains(name)) {
            done = true;
            return Optional.empty();
        }
        if (seen.stream().anyMatch(d -> d.name().equals(name))) {
            throw new IllegalArgumentException("only one " + name + " parser directive can be used");
        }
        Directive directive = new Directive(name, m.group(2), line);
        seen.add(directive);
        return Optional.of(directive);
    }

    public List<Directive> directives() {
        return List.copyOf(seen);
    }

    /**
     * The value of directive {@code name} at the top of {@code data}, as BuildKit detects {@code syntax} and
     * {@code check} before parsing: a byte order mark and a first "#!" line are skipped, errors ignored.
     */
    public static Optional<Directive> find(String name, byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        DirectiveParser parser = new DirectiveParser();
        List<String> lines = SourceFile.splitLines(text);
        int first = 0;
        if (!lines.isEmpty() && lines.getFirst().startsWith("#!")) {
            parser.line = 1;
            first = 1;
        }
        try {
            for (int i = first; i < lines.size() && !parser.done; i++) {
                Optional<Directive> found = parser.parseLine(stripNewline(lines.get(i)));
                if (found.isPresent() && found.get().name().equals(name)) {
                    return found;
                }
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    static String stripNewline(String line) {
        int end = line.length();
        while (end > 0 && (line.charAt(end - 1) == '\n' || line.charAt(end - 1) == '\r')) {
            end--;
        }
        return line.substring(0, end);
    }
}
