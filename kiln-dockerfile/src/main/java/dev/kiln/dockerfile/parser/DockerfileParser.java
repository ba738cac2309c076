package dev.kiln.dockerfile.parser;

import dev.kiln.dockerfile.DockerfileException;
import dev.kiln.dockerfile.shell.ShellException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a Dockerfile into instructions the way BuildKit's parser does: parser directives at the top, comments
 * dropped, lines joined at the escape character, here-documents attached to the instruction that opens them.
 * Nothing is expanded or interpreted here beyond each instruction's argument shape.
 */
public final class DockerfileParser {

    private static final Set<String> HEREDOC_COMMANDS = Set.of("add", "copy", "run");

    private final SourceFile source;
    private final List<String> lines;
    private final DirectiveParser directives = new DirectiveParser();
    private final List<ParseWarning> warnings = new ArrayList<>();
    private int escapeToken = '\\';
    private Pattern continuation = continuationPattern('\\');
    private int next;

    private DockerfileParser(SourceFile source) {
        this.source = source;
        this.lines = source.lines();
    }

    /**
     * Parses {@code data}, the content of the Dockerfile called {@code filename}.
     *
     * @throws DockerfileException naming the line and the problem
     */
    public static ParsedDockerfile parse(String filename, byte[] data) {
        return parse(new SourceFile(filename, data));
    }

    public static ParsedDockerfile parse(SourceFile source) {
        return new DockerfileParser(source).run();
    }

    private ParsedDockerfile run() {
        List<Node> nodes = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        while (next < lines.size()) {
            int lineNumber = next + 1;
            String raw = lines.get(next++);
            if (lineNumber == 1 && raw.startsWith("\uFEFF")) {
                raw = raw.substring(1);
            }
            if (isComment(raw)) {
                String comment = raw.substring(1).strip();
                if (comment.isEmpty()) {
                    comments.clear();
                } else {
                    comments.add(comment);
                }
            }
            String token = stripNewline(raw).stripLeading();
            if (directive(token, lineNumber) && !comments.isEmpty()) {
                comments.removeLast();
            }
            String line = isComment(token) ? "" : token;
            int startLine = lineNumber;
            Matcher cont = continuation.matcher(line);
            boolean endOfLine = !cont.find();
            if (!endOfLine) {
                line = cont.replaceAll("$1");
            }
            if (endOfLine && line.isEmpty()) {
                continue;
            }
            StringBuilder joined = new StringBuilder(line);
            boolean emptyContinuation = false;
            while (!endOfLine && next < lines.size()) {
                int contNumber = next + 1;
                String rawNext = lines.get(next++);
                String tokenNext = stripNewline(rawNext);
                directive(tokenNext, contNumber);
                if (isComment(rawNext)) {
                    continue;
                }
                if (tokenNext.stripLeading().isEmpty()) {
                    emptyContinuation = true;
                    continue;
                }
                Matcher m = continuation.matcher(tokenNext);
                endOfLine = !m.find();
                joined.append(endOfLine ? tokenNext : m.replaceAll("$1"));
            }
            String logical = joined.toString();
            if (emptyContinuation) {
                warnings.add(new ParseWarning("Empty continuation line found in: " + logical, next));
            }
            Node node;
            try {
                node = nodeFromLine(logical, comments);
            } catch (LineParsers.LineException e) {
                throw source.error(startLine, next, e.getMessage());
            }
            if (canContainHeredoc(node) && logical.contains("<<")) {
                node = readHeredocs(node, logical, startLine);
            }
            nodes.add(node.relocated(startLine, next));
            comments = new ArrayList<>();
        }
        if (nodes.isEmpty()) {
            throw source.error(lines.size(), lines.size(), "file with no instructions");
        }
        return new ParsedDockerfile(source, nodes, escapeToken, directives.directives(), warnings);
    }

    /** Feeds a line to the directive parser; true if it was a directive. */
    private boolean directive(String token, int lineNumber) {
        Optional<DirectiveParser.Directive> found;
        try {
            found = directives.parseLine(token);
        } catch (IllegalArgumentException e) {
            throw source.error(lineNumber, lineNumber, e.getMessage());
        }
        if (found.isPresent() && found.get().name().equals(DirectiveParser.ESCAPE)) {
            String value = found.get().value();
            if (!value.equals("`") && !value.equals("\\")) {
                throw source.error(
                        lineNumber, lineNumber, "invalid escape token '" + value + "' does not match ` or \\");
            }
            escapeToken = value.charAt(0);
            continuation = continuationPattern(escapeToken);
        }
        return found.isPresent();
    }

    private Node readHeredocs(Node node, String logical, int startLine) {
        List<Heredoc> found;
        try {
            found = Heredocs.inLine(logical);
        } catch (ShellException e) {
            throw source.error(startLine, next, e.getMessage());
        }
        List<Heredoc> complete = new ArrayList<>();
        for (Heredoc heredoc : found) {
            StringBuilder content = new StringBuilder();
            boolean terminated = false;
            while (next < lines.size()) {
                String raw = lines.get(next++);
                String candidate = stripNewline(raw);
                if (heredoc.chomp()) {
                    candidate = stripLeadingTabs(candidate);
                }
                if (candidate.equals(heredoc.name())) {
                    terminated = true;
                    break;
                }
                content.append(raw);
            }
            if (!terminated) {
                throw source.error(startLine, next, "unterminated heredoc");
            }
            complete.add(heredoc.withContent(content.toString()));
        }
        return node.withHeredocs(complete);
    }

    private Node nodeFromLine(String line, List<String> comments) throws LineParsers.LineException {
        CommandLine command = CommandLine.split(line, escapeToken);
        LineParsers.LineParser parser =
                LineParsers.BY_COMMAND.get(command.keyword().toLowerCase(java.util.Locale.ROOT));
        LineParsers.Args args;
        if (command.keyword().equalsIgnoreCase("onbuild")) {
            args = trigger(command.rest());
        } else if (parser == null) {
            // unknown instructions are reported when instructions are interpreted, with a suggestion
            args = LineParsers.Args.NONE;
        } else {
            args = parser.parse(command.rest(), escapeToken);
        }
        return new Node(
                command.keyword(),
                command.flags(),
                args.args(),
                args.json(),
                List.of(),
                line,
                0,
                0,
                comments,
                args.trigger());
    }

    private LineParsers.Args trigger(String rest) throws LineParsers.LineException {
        if (rest.isEmpty()) {
            return LineParsers.Args.NONE;
        }
        Node child = nodeFromLine(rest, List.of());
        List<String> args = new ArrayList<>();
        args.add(child.keyword());
        args.addAll(child.args());
        return new LineParsers.Args(args, child.json(), child);
    }

    private static boolean canContainHeredoc(Node node) {
        Node target = node.command().equals("onbuild") && node.trigger() != null ? node.trigger() : node;
        return HEREDOC_COMMANDS.contains(target.command()) && !target.json();
    }

    /**
     * The escape character at the end of a line, after optional blanks, continues it; an escaped escape
     * character does not (except in the one case a regular expression cannot tell: three in a row).
     */
    private static Pattern continuationPattern(int escape) {
        String e = Pattern.quote(Character.toString(escape));
        return Pattern.compile("([^" + (escape == '\\' ? "\\\\" : "`") + "])" + e + "[ \\t]*$|^" + e + "[ \\t]*$");
    }

    private static boolean isComment(String line) {
        String trimmed = line.stripLeading();
        return !trimmed.isEmpty() && trimmed.charAt(0) == '#';
    }

    private static String stripNewline(String line) {
        return DirectiveParser.stripNewline(line);
    }

    private static String stripLeadingTabs(String text) {
        int i = 0;
        while (i < text.length() && text.charAt(i) == '\t') {
            i++;
        }
        return text.substring(i);
    }
}
