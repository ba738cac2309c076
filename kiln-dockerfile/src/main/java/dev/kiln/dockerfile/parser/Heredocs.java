package dev.kiln.dockerfile.parser;

import dev.kiln.dockerfile.shell.EnvLookup;
import dev.kiln.dockerfile.shell.ShellException;
import dev.kiln.dockerfile.shell.ShellLex;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Recognises here-document words ({@code <<EOF}, {@code <<-'END'}, {@code 3<<EOF}) in an instruction. */
public final class Heredocs {

    private static final Pattern HEREDOC = Pattern.compile("^(\\d*)<<(-?)\\s*([^<]*)$");
    private static final ShellLex WORD_LEX = new ShellLex('\\').withSkipUnsetEnv(true);
    private static final ShellLex LINE_LEX =
            new ShellLex('\\').withRawQuotes(true).withRawEscapes(true).withSkipUnsetEnv(true);

    private Heredocs() {}

    /**
     * The heredoc {@code word} starts, if it is one; a word that lexes to more than one word is not.
     *
     * @throws ShellException if the terminator cannot be lexed (an unclosed quote)
     */
    public static Optional<Heredoc> parse(String word) throws ShellException {
        Matcher m = HEREDOC.matcher(word);
        if (!m.matches()) {
            return Optional.empty();
        }
        String rest = m.group(3);
        if (rest.isEmpty()) {
            return Optional.empty();
        }
        List<String> words = WORD_LEX.processWords(rest, EnvLookup.EMPTY);
        if (words.size() != 1) {
            return Optional.empty();
        }
        List<String> raw = WORD_LEX.withRawQuotes(true).processWords(rest, EnvLookup.EMPTY);
        if (raw.size() != 1) {
            throw new ShellException("internal lexing of heredoc produced inconsistent results: " + rest);
        }
        // A quote anywhere in the terminator turns expansion off, as in a shell.
        boolean expand = quotes(words.getFirst()) == quotes(raw.getFirst());
        int fd = m.group(1).isEmpty() ? 0 : parseDescriptor(m.group(1));
        return Optional.of(new Heredoc(words.getFirst(), fd, expand, m.group(2).equals("-"), ""));
    }

    /** Like {@link #parse} but a word that cannot be lexed is simply not a heredoc. */
    public static Optional<Heredoc> parseQuietly(String word) {
        try {
            return parse(word);
        } catch (ShellException e) {
            return Optional.empty();
        }
    }

    /** The heredocs an instruction line opens, in order. */
    static List<Heredoc> inLine(String line) throws ShellException {
        List<String> words;
        try {
            words = LINE_LEX.processWords(line, EnvLookup.EMPTY);
        } catch (ShellException e) {
            return List.of();
        }
        List<Heredoc> docs = new ArrayList<>();
        for (String word : words) {
            parse(word).ifPresent(docs::add);
        }
        return docs;
    }

    private static int parseDescriptor(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static long quotes(String word) {
        return word.chars().filter(c -> c == '\'' || c == '"').count();
    }
}
