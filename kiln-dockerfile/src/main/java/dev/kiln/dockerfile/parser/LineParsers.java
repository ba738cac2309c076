package dev.kiln.dockerfile.parser;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How each instruction's arguments are split before they are interpreted: JSON arrays or a shell string,
 * whitespace-separated words, name=value pairs (with ENV's and LABEL's legacy "name value" form), and
 * HEALTHCHECK's type word.
 */
final class LineParsers {

    static final Pattern WHITESPACE = Pattern.compile("[\\t\\u000B\\f\\r ]+");
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String NOT_STRINGS = "when using JSON array syntax, arrays must be comprised of strings only";

    /** The arguments of one instruction line. */
    record Args(List<String> args, boolean json, Node trigger) {
        static final Args NONE = new Args(List.of(), false, null);

        static Args of(List<String> args) {
            return new Args(args, false, null);
        }
    }

    /** A line parser failed; the message is the whole reason. */
    static final class LineException extends Exception {
        LineException(String message) {
            super(message);
        }
    }

    @FunctionalInterface
    interface LineParser {
        Args parse(String rest, int escapeToken) throws LineException;
    }

    static final Map<String, LineParser> BY_COMMAND = Map.ofEntries(
            Map.entry("add", LineParsers::maybeJsonToList),
            Map.entry("arg", (rest, escape) -> Args.of(words(rest, escape))),
            Map.entry("cmd", LineParsers::maybeJson),
            Map.entry("copy", LineParsers::maybeJsonToList),
            Map.entry("entrypoint", LineParsers::maybeJson),
            Map.entry("env", (rest, escape) -> nameValue(rest, "ENV", escape)),
            Map.entry("expose", (rest, escape) -> whitespaceDelimited(rest)),
            Map.entry("from", (rest, escape) -> whitespaceDelimited(rest)),
            Map.entry("healthcheck", LineParsers::healthConfig),
            Map.entry("label", (rest, escape) -> nameValue(rest, "LABEL", escape)),
            Map.entry("maintainer", (rest, escape) -> string(rest)),
            Map.entry("run", LineParsers::maybeJson),
            Map.entry("shell", LineParsers::maybeJson),
            Map.entry("stopsignal", (rest, escape) -> string(rest)),
            Map.entry("user", (rest, escape) -> string(rest)),
            Map.entry("volume", LineParsers::maybeJsonToList),
            Map.entry("workdir", (rest, escape) -> string(rest)));

    private LineParsers() {}

    /**
     * Words separated by whitespace; quotes and escapes stay in the words (expansion removes them later),
     * but whitespace inside quotes or after an escape does not split.
     */
    static List<String> words(String rest, int escapeToken) {
        List<String> words = new ArrayList<>();
        int[] chars = rest.codePoints().toArray();
        Word word = new Word();
        boolean inWord = false;
        for (int pos = 0; pos <= chars.length; pos++) {
            boolean end = pos == chars.length;
            int ch = end ? 0 : chars[pos];
            if (!inWord && !word.inQuote()) {
                if (end) {
                    break;
                }
                if (Character.isWhitespace(ch)) {
                    continue;
                }
                inWord = true;
            }
            if (end) {
                word.finishInto(words);
                break;
            }
            if (inWord && !word.inQuote()) {
                if (Character.isWhitespace(ch)) {
                    inWord = false;
                    word.finishInto(words);
                    continue;
                }
                if (ch == '\'' || ch == '"') {
                    word.openQuote(ch);
                }
                if (ch == escapeToken) {
                    if (pos + 1 == chars.length) {
                        continue;
                    }
                    word.append(ch);
                    pos++;
                    ch = chars[pos];
                }
                word.append(ch);
                continue;
            }
            if (ch == word.quote()) {
                word.closeQuote();
            }
            if (ch == escapeToken && word.quote() != '\'') {
                if (pos + 1 == chars.length) {
                    word.closeQuote();
                    continue;
                }
                pos++;
                word.append(ch);
                ch = chars[pos];
            }
            word.append(ch);
        }
        return words;
    }

    /** ENV and LABEL: "name=value ..." pairs, or the legacy "name value" form; triples of key, value, separator. */
    static Args nameValue(String rest, String command, int escapeToken) throws LineException {
        List<String> words = words(rest, escapeToken);
        if (words.isEmpty()) {
            return Args.NONE;
        }
        if (!words.getFirst().contains("=")) {
            String[] parts = WHITESPACE.split(rest, 2);
            if (parts.length < 2) {
                throw new LineException(command + " must have two arguments");
            }
            return Args.of(List.of(parts[0], parts[1], ""));
        }
        List<String> triples = new ArrayList<>();
        for (String word : words) {
            int eq = word.indexOf('=');
            if (eq < 0) {
                throw new LineException(
                        "Syntax error - can't find = in \"" + word + "\". Must be of the form: name=value");
            }
            triples.add(word.substring(0, eq));
            triples.add(word.substring(eq + 1));
            triples.add("=");
        }
        return Args.of(triples);
    }

    static Args whitespaceDelimited(String rest) {
        if (rest.isEmpty()) {
            return Args.NONE;
        }
        return Args.of(Arrays.asList(WHITESPACE.split(rest, -1)));
    }

    static Args string(String rest) {
        return rest.isEmpty() ? Args.NONE : Args.of(List.of(rest));
    }

    /** A JSON array of strings, if {@code rest} is one; null if it is not JSON (the shell form). */
    static Args json(String rest) throws LineException {
        String text = rest.stripLeading();
        if (!text.startsWith("[")) {
            return null;
        }
        JsonNode array;
        try {
            array = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return null;
        }
        if (array == null || !array.isArray()) {
            return null;
        }
        List<String> args = new ArrayList<>();
        for (JsonNode element : array) {
            if (!element.isTextual()) {
                throw new LineException(NOT_STRINGS);
            }
            args.add(element.textValue());
        }
        return new Args(args, true, null);
    }

    /** RUN, CMD, ENTRYPOINT, SHELL: exec form (JSON) or one shell string. */
    static Args maybeJson(String rest, int escapeToken) throws LineException {
        if (rest.isEmpty()) {
            return Args.NONE;
        }
        Args parsed = json(rest);
        return parsed != null ? parsed : Args.of(List.of(rest));
    }

    /** ADD, COPY, VOLUME: a JSON array, or whitespace-separated words. */
    static Args maybeJsonToList(String rest, int escapeToken) throws LineException {
        Args parsed = json(rest);
        return parsed != null ? parsed : whitespaceDelimited(rest);
    }

    /** HEALTHCHECK: a type word (CMD, NONE) and then a command in either form. */
    static Args healthConfig(String rest, int escapeToken) throws LineException {
        int sep = 0;
        while (sep < rest.length() && !Character.isWhitespace(rest.charAt(sep))) {
            sep++;
        }
        if (sep == 0) {
            return Args.NONE;
        }
        int next = sep;
        while (next < rest.length() && Character.isWhitespace(rest.charAt(next))) {
            next++;
        }
        Args command = maybeJson(rest.substring(next), escapeToken);
        List<String> args = new ArrayList<>();
        args.add(rest.substring(0, sep));
        args.addAll(command.args());
        return new Args(args, command.json(), null);
    }
}
