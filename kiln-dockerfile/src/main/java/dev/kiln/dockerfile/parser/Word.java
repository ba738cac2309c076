package dev.kiln.dockerfile.parser;

import java.util.List;

/**
 * The word a line tokenizer is reading: its text so far, the quote it is in (if any), and whether it had quotes,
 * which make even an empty word ({@code ""}) a word.
 */
final class Word {

    private final StringBuilder text = new StringBuilder();
    private boolean quoted;
    private boolean inQuote;
    /** The last quote opened, kept after it closes. */
    private int quote;

    void append(int codePoint) {
        text.appendCodePoint(codePoint);
    }

    void openQuote(int quoteChar) {
        quote = quoteChar;
        quoted = true;
        inQuote = true;
    }

    void closeQuote() {
        inQuote = false;
    }

    boolean inQuote() {
        return inQuote;
    }

    int quote() {
        return quote;
    }

    boolean is(String other) {
        return text.toString().equals(other);
    }

    /** Adds this word to {@code words} when it has text or quotes, and starts the next one. */
    void finishInto(List<String> words) {
        if (quoted || !text.isEmpty()) {
            words.add(text.toString());
        }
        text.setLength(0);
        quoted = false;
    }
}
