package dev.kiln.dockerfile.shell;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * Word expansion as a Dockerfile does it for the instructions that expand variables: quotes, the escape
 * character, $name and ${name} with the modifiers :- - :+ + :? ? # ## % %% / //, and splitting into words.
 * The rules are BuildKit's shell lexer's, which imitates a POSIX shell without running one.
 *
 * <p>A lexer is an immutable configuration; each call works on its own state, so one lexer may be shared.
 *
 * @param escapeToken       the escape character ({@code \} or {@code `})
 * @param rawQuotes         keep quote characters in the result
 * @param rawEscapes        keep escape characters in the result
 * @param skipProcessQuotes treat quotes as ordinary characters (heredoc contents)
 * @param skipUnsetEnv      leave references to undefined variables as written
 */
public record ShellLex(
        int escapeToken, boolean rawQuotes, boolean rawEscapes, boolean skipProcessQuotes, boolean skipUnsetEnv) {

    private static final int EOF = -1;

    public ShellLex(int escapeToken) {
        this(escapeToken, false, false, false, false);
    }

    public ShellLex withRawQuotes(boolean value) {
        return new ShellLex(escapeToken, value, rawEscapes, skipProcessQuotes, skipUnsetEnv);
    }

    public ShellLex withRawEscapes(boolean value) {
        return new ShellLex(escapeToken, rawQuotes, value, skipProcessQuotes, skipUnsetEnv);
    }

    public ShellLex withSkipProcessQuotes(boolean value) {
        return new ShellLex(escapeToken, rawQuotes, rawEscapes, value, skipUnsetEnv);
    }

    public ShellLex withSkipUnsetEnv(boolean value) {
        return new ShellLex(escapeToken, rawQuotes, rawEscapes, skipProcessQuotes, value);
    }

    /** Expands {@code word} as one word (inner whitespace kept), recording which variables it used. */
    public WordResult processWord(String word, EnvLookup env) throws ShellException {
        return new Scan(word, env, true).run();
    }

    /** Expands {@code word} and splits the result into words at whitespace that is not quoted or escaped. */
    public List<String> processWords(String word, EnvLookup env) throws ShellException {
        return new Scan(word, env, false).run().words();
    }

    /** The state of one expansion. */
    private final class Scan {
        private final String source;
        private final int[] chars;
        private final EnvLookup env;
        private final boolean capture;
        private final Set<String> matched = new LinkedHashSet<>();
        private final Set<String> unmatched = new LinkedHashSet<>();
        private int pos;
        private boolean rawEscapesNow = rawEscapes;

        Scan(String source, EnvLookup env, boolean capture) {
            this.source = source;
            this.chars = source.codePoints().toArray();
            this.env = env;
            this.capture = capture;
        }

        WordResult run() throws ShellException {
            try {
                Part part = processStopOn(EOF, rawEscapesNow);
                return new WordResult(part.text(), part.words(), matched, unmatched);
            } catch (ShellException e) {
                throw new ShellException("failed to process \"" + source + "\": " + e.getMessage());
            }
        }

        private int peek() {
            return pos < chars.length ? chars[pos] : EOF;
        }

        private int next() {
            return pos < chars.length ? chars[pos++] : EOF;
        }

        private record Part(String text, List<String> words) {}

        private Part processStopOn(int stopChar, boolean raw) throws ShellException {
            boolean saved = rawEscapesNow;
            rawEscapesNow = raw;
            try {
                return stopOn(stopChar);
            } finally {
                rawEscapesNow = saved;
            }
        }

        private Part stopOn(int stopChar) throws ShellException {
            StringBuilder result = new StringBuilder();
            Words words = new Words();
            while (peek() != EOF) {
                int ch = peek();
                if (stopChar != EOF && ch == stopChar) {
                    next();
                    return new Part(result.toString(), words.finish());
                }
                String special = switch (ch) {
                    case '$' -> processDollar();
                    case '<' -> processPossibleHeredoc();
                    case '\'' -> skipProcessQuotes ? null : processSingleQuote();
                    case '"' -> skipProcessQuotes ? null : processDoubleQuote();
                    default -> null;
                };
                if (special != null) {
                    result.append(special);
                    if (ch == '$') {
                        words.addString(special);
                    } else {
                        words.addRawString(special);
                    }
                    continue;
                }
                ch = next();
                if (ch == escapeToken) {
                    if (rawEscapesNow) {
                        words.addRawChar(ch);
                        result.appendCodePoint(ch);
                    }
                    ch = next();
                    if (ch == EOF) {
                        break;
                    }
                    words.addRawChar(ch);
                } else {
                    words.addChar(ch);
                }
                result.appendCodePoint(ch);
            }
            if (stopChar != EOF) {
                throw new ShellException(
                        "unexpected end of statement while looking for matching " + Character.toString(stopChar));
            }
            return new Part(result.toString(), words.finish());
        }

        private String processSingleQuote() throws ShellException {
            return processQuoted('\'', "single-quote", result -> result.appendCodePoint(next()));
        }

        private String processDoubleQuote() throws ShellException {
            return processQuoted('"', "double-quote", this::doubleQuoted);
        }

        /** What a quoted part reads before its closing quote: at least one character each time. */
        private interface QuotedText {
            void readInto(StringBuilder result) throws ShellException;
        }

        /** A part from its opening quote to {@code closing}, the text between read by {@code text}. */
        private String processQuoted(int closing, String quoteName, QuotedText text) throws ShellException {
            StringBuilder result = new StringBuilder();
            keepQuote(result, next());
            while (true) {
                int peeked = peek();
                if (peeked == EOF) {
                    throw new ShellException("unexpected end of statement while looking for matching " + quoteName);
                }
                if (peeked == closing) {
                    keepQuote(result, next());
                    return result.toString();
                }
                text.readInto(result);
            }
        }

        /** A quote that opens or closes a quoted part stays in the result only when quotes are kept raw. */
        private void keepQuote(StringBuilder result, int quote) {
            if (rawQuotes) {
                result.appendCodePoint(quote);
            }
        }

        private void doubleQuoted(StringBuilder result) throws ShellException {
            if (peek() == '$') {
                result.append(processDollar());
                return;
            }
            int ch = next();
            if (ch == escapeToken) {
                if (rawEscapesNow) {
                    result.appendCodePoint(ch);
                }
                int after = peek();
                if (after == EOF) {
                    return;
                }
                // inside double quotes only these can be escaped; before anything else the escape stays
                if (after == '"' || after == '$' || after == escapeToken) {
                    ch = next();
                }
            }
            result.appendCodePoint(ch);
        }

        private String processDollar() throws ShellException {
            next();
            if (peek() != '{') {
                String name = processName();
                if (name.isEmpty()) {
                    return "$";
                }
                String value = lookup(name);
                if (value == null && skipUnsetEnv) {
                    return "$" + name;
                }
                return value == null ? "" : value;
            }
            next();
            int first = peek();
            if (first == EOF) {
                throw new ShellException("syntax error: missing '}'");
            }
            if (first == '{' || first == '}' || first == ':') {
                throw new ShellException("syntax error: bad substitution");
            }
            String name = processName();
            int ch = next();
            if (ch == EOF) {
                throw new ShellException("syntax error: missing '}'");
            }
            String modifier = Character.toString(ch);
            boolean nullIsUnset = false;
            if (ch == '}') {
                String value = lookup(name);
                if (value == null && skipUnsetEnv) {
                    return "${" + name + "}";
                }
                return value == null ? "" : value;
            }
            if (ch == '/') {
                return replace(name);
            }
            if (ch == ':') {
                nullIsUnset = true;
                ch = next();
                modifier += ch == EOF ? "\uFFFD" : Character.toString(ch);
            } else if (ch != '+' && ch != '-' && ch != '?' && ch != '#' && ch != '%') {
                throw new ShellException("unsupported modifier (" + modifier + ") in substitution");
            }
            boolean patternOperator = ch == '#' || ch == '%';
            if (nullIsUnset && patternOperator) {
                throw new ShellException("unsupported modifier (" + modifier + ") in substitution");
            }
            String word = wordUpTo('}', patternOperator, "syntax error: missing '}'");
            String value = lookup(name);
            boolean set = value != null;
            if (skipUnsetEnv && !set) {
                return "${" + name + modifier + word + "}";
            }
            boolean empty = !set || (nullIsUnset && value.isEmpty());
            switch (ch) {
                case '-':
                    return empty ? word : value;
                case '+':
                    return empty ? "" : word;
                case '?':
                    if (!set) {
                        throw new ShellException(name + ": " + (word.isEmpty() ? "is not allowed to be unset" : word));
                    }
                    if (nullIsUnset && value.isEmpty()) {
                        throw new ShellException(name + ": " + (word.isEmpty() ? "is not allowed to be empty" : word));
                    }
                    return value;
                case '#':
                case '%':
                    String subject = set ? value : "";
                    boolean greedy = !word.isEmpty() && word.codePointAt(0) == ch;
                    String pattern = greedy ? word.substring(Character.charCount(ch)) : word;
                    return ch == '%'
                            ? ShellPattern.trimSuffix(pattern, subject, greedy)
                            : ShellPattern.trimPrefix(pattern, subject, greedy);
                default:
                    throw new ShellException("unsupported modifier (" + modifier + ") in substitution");
            }
        }

        /** ${name/pattern/replacement} (first match) and ${name//pattern/replacement} (every match). */
        private String replace(String name) throws ShellException {
            boolean all = peek() == '/';
            if (all) {
                next();
            }
            String pattern = wordUpTo('/', true, "syntax error: missing '/' in ${}");
            String replacement = wordUpTo('}', true, "syntax error: missing '}'");
            String value = lookup(name);
            if (skipUnsetEnv && value == null) {
                return "${" + name + "/" + pattern + "/" + replacement + "}";
            }
            String subject = value == null ? "" : value;
            Matcher m = ShellPattern.toRegex(pattern, true, false).matcher(subject);
            String literal = Matcher.quoteReplacement(replacement);
            return all ? m.replaceAll(literal) : m.replaceFirst(literal);
        }

        /**
         * The word up to {@code stopChar} (not included); a failure at the end of the input is the missing stop
         * character, which {@code missing} names, rather than whatever the word's last part lacked.
         */
        private String wordUpTo(int stopChar, boolean raw, String missing) throws ShellException {
            try {
                return processStopOn(stopChar, raw).text();
            } catch (ShellException e) {
                if (peek() == EOF) {
                    throw new ShellException(missing);
                }
                throw e;
            }
        }

        private String processName() {
            StringBuilder name = new StringBuilder();
            while (peek() != EOF) {
                int ch = peek();
                if (name.isEmpty() && Character.isDigit(ch)) {
                    while (peek() != EOF && Character.isDigit(peek())) {
                        name.appendCodePoint(next());
                    }
                    return name.toString();
                }
                if (name.isEmpty() && isSpecialParameter(ch)) {
                    return Character.toString(next());
                }
                if (!Character.isLetter(ch) && !Character.isDigit(ch) && ch != '_') {
                    break;
                }
                name.appendCodePoint(next());
            }
            return name.toString();
        }

        /** "<<" keeps the whitespace after it, so that "<< EOF" stays one word for heredoc detection. */
        private String processPossibleHeredoc() {
            next();
            if (peek() != '<') {
                return "<";
            }
            next();
            StringBuilder text = new StringBuilder("<<");
            while (peek() == '\t' || peek() == '\r' || peek() == ' ') {
                text.appendCodePoint(next());
            }
            return text.toString();
        }

        private String lookup(String name) {
            String value = env.get(name).orElse(null);
            if (capture) {
                (value != null ? matched : unmatched).add(name);
            }
            return value;
        }
    }

    private static boolean isSpecialParameter(int c) {
        return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' || c == '0';
    }

    /** Words as the lexer splits them: unquoted whitespace ends a word; quoted or escaped characters never do. */
    private static final class Words {
        private final List<String> done = new ArrayList<>();
        private final StringBuilder current = new StringBuilder();
        private boolean inWord;

        void addChar(int c) {
            if (Character.isWhitespace(c) && inWord) {
                if (!current.isEmpty()) {
                    done.add(current.toString());
                    current.setLength(0);
                    inWord = false;
                }
            } else if (!Character.isWhitespace(c)) {
                addRawChar(c);
            }
        }

        void addRawChar(int c) {
            current.appendCodePoint(c);
            inWord = true;
        }

        void addString(String text) {
            text.codePoints().forEach(this::addChar);
        }

        void addRawString(String text) {
            current.append(text);
            inWord = true;
        }

        List<String> finish() {
            if (!current.isEmpty()) {
                done.add(current.toString());
                current.setLength(0);
                inWord = false;
            }
            return List.copyOf(done);
        }
    }
}
