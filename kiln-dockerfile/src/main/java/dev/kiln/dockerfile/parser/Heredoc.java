package dev.kiln.dockerfile.parser;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A here-document of an instruction ({@code <<EOF} ... {@code EOF}).
 *
 * @param name the terminator word, without quotes
 * @param fileDescriptor the number before {@code <<} (0 when none)
 * @param expand false when any part of the terminator was quoted: the content is then taken literally
 * @param chomp {@code <<-}: leading tabs are removed from the terminator line and, on use, from every line
 * @param content the lines between the instruction and the terminator, each with its newline
 */
public record Heredoc(String name, int fileDescriptor, boolean expand, boolean chomp, String content) {

    private static final Pattern LEADING_TABS = Pattern.compile("(?m)^\t+");

    public Heredoc {
        Objects.requireNonNull(name, "name");
        content = content == null ? "" : content;
    }

    Heredoc withContent(String text) {
        return new Heredoc(name, fileDescriptor, expand, chomp, text);
    }

    /** The content as the instruction uses it: leading tabs removed for {@code <<-}. */
    public String effectiveContent() {
        return chomp ? chompContent(content) : content;
    }

    public static String chompContent(String text) {
        return LEADING_TABS.matcher(text).replaceAll("");
    }
}
