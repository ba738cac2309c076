package dev.kiln.dockerfile.parser;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One instruction as the parser found it, before its arguments are interpreted.
 *
 * @param keyword the instruction word as written ("RUN", "run", "Copy")
 * @param flags the leading {@code --name=value} words, quotes and escapes removed
 * @param args the arguments as the instruction's line parser split them: JSON strings, whitespace-separated
 *     words, key/value/separator triples for ENV and LABEL, [type, command...] for HEALTHCHECK, and for
 *     ONBUILD the trigger's keyword followed by its arguments
 * @param json the arguments were a JSON array (exec form)
 * @param heredocs the here-documents the instruction opened, with their content
 * @param original the instruction's logical line (continuations joined), as the parser saw it
 * @param startLine first line in the file, 1-based
 * @param endLine last line in the file (heredoc terminators included)
 * @param comments the comment lines right above the instruction
 * @param trigger for ONBUILD, the instruction it registers; otherwise null
 */
public record Node(
        String keyword,
        List<String> flags,
        List<String> args,
        boolean json,
        List<Heredoc> heredocs,
        String original,
        int startLine,
        int endLine,
        List<String> comments,
        Node trigger) {

    public Node {
        Objects.requireNonNull(keyword, "keyword");
        flags = List.copyOf(flags);
        args = List.copyOf(args);
        heredocs = List.copyOf(heredocs);
        comments = List.copyOf(comments);
    }

    /** The keyword in lower case, as instructions are matched. */
    public String command() {
        return keyword.toLowerCase(Locale.ROOT);
    }

    Node withHeredocs(List<Heredoc> docs) {
        return new Node(keyword, flags, args, json, docs, original, startLine, endLine, comments, trigger);
    }

    /** Moves the node to other lines, as ONBUILD triggers are reported at the FROM that runs them. */
    public Node relocated(int start, int end) {
        return new Node(keyword, flags, args, json, heredocs, original, start, end, comments, trigger);
    }
}
