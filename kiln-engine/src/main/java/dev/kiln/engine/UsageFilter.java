package dev.kiln.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Filters over {@link UsageRecord}s in the syntax {@code buildctl du --filter} and {@code buildctl prune --filter}
 * send (containerd's filters, as BuildKit's cache manager reads them). A filter is selectors joined by commas, all
 * of which must match; of several filters, any one must match. A selector is a field alone (it is present or
 * true), or a field, an operator ({@code ==}, {@code !=}, {@code ~=} for a regular expression found anywhere in
 * the value) and a value, bare up to the next comma or in double quotes.
 *
 * <p>The fields are BuildKit's: {@code id}, {@code parents} (joined by {@code ;}), {@code description},
 * {@code type}, and the flags {@code inuse}, {@code mutable}, {@code immutable}, {@code shared}, {@code private}.
 * An unknown field is never present.
 */
public final class UsageFilter {

    private enum Operator {
        PRESENT,
        EQUAL,
        NOT_EQUAL,
        MATCHES
    }

    private record Selector(String field, Operator operator, String value, Pattern pattern) {

        boolean matches(UsageRecord record) {
            Optional<String> found = fieldOf(record, field);
            return switch (operator) {
                case PRESENT -> found.isPresent();
                case EQUAL -> found.isPresent() && found.get().equals(value);
                case NOT_EQUAL -> !found.orElse("").equals(value);
                case MATCHES -> pattern.matcher(found.orElse("")).find();
            };
        }
    }

    /** Any of these, each all of its selectors. */
    private final List<List<Selector>> alternatives;

    private UsageFilter(List<List<Selector>> alternatives) {
        this.alternatives = alternatives;
    }

    /** The filter matching any of the expressions; no expressions match everything. */
    public static UsageFilter parse(List<String> expressions) {
        var alternatives = new ArrayList<List<Selector>>();
        for (String expression : expressions) {
            if (expression.isEmpty()) {
                return new UsageFilter(List.of());
            }
            alternatives.add(parseOne(expression));
        }
        return new UsageFilter(List.copyOf(alternatives));
    }

    public boolean matches(UsageRecord record) {
        if (alternatives.isEmpty()) {
            return true;
        }
        for (List<Selector> all : alternatives) {
            if (all.stream().allMatch(selector -> selector.matches(record))) {
                return true;
            }
        }
        return false;
    }

    private static Optional<String> fieldOf(UsageRecord record, String field) {
        return switch (field) {
            case "id" -> nonEmpty(record.id());
            case "parents" -> nonEmpty(String.join(";", record.parents()));
            case "description" -> nonEmpty(record.description());
            case "type" -> nonEmpty(record.recordType());
            case "inuse" -> flag(record.inUse());
            case "mutable" -> flag(record.mutable());
            case "immutable" -> flag(!record.mutable());
            case "shared" -> flag(record.shared());
            case "private" -> flag(!record.shared());
            default -> Optional.empty();
        };
    }

    private static Optional<String> nonEmpty(String value) {
        return value.isEmpty() ? Optional.empty() : Optional.of(value);
    }

    private static Optional<String> flag(boolean set) {
        return set ? Optional.of("") : Optional.empty();
    }

    private static List<Selector> parseOne(String expression) {
        var selectors = new ArrayList<Selector>();
        int at = 0;
        while (true) {
            int start = at;
            while (at < expression.length() && isFieldChar(expression.charAt(at))) {
                at++;
            }
            String field = expression.substring(start, at);
            if (field.isEmpty() || field.startsWith(".") || field.endsWith(".")) {
                throw bad(expression, start, "a field name");
            }
            Operator operator = Operator.PRESENT;
            String value = "";
            if (at < expression.length() && expression.charAt(at) != ',') {
                String op = expression.startsWith("==", at)
                        ? "=="
                        : expression.startsWith("!=", at) ? "!=" : expression.startsWith("~=", at) ? "~=" : null;
                if (op == null) {
                    throw bad(expression, at, "an operator (==, != or ~=) or a comma");
                }
                operator = switch (op) {
                    case "==" -> Operator.EQUAL;
                    case "!=" -> Operator.NOT_EQUAL;
                    default -> Operator.MATCHES;
                };
                at += 2;
                if (at < expression.length() && expression.charAt(at) == '"') {
                    var quoted = new StringBuilder();
                    at++;
                    while (at < expression.length() && expression.charAt(at) != '"') {
                        char c = expression.charAt(at++);
                        if (c == '\\' && at < expression.length()) {
                            c = expression.charAt(at++);
                        }
                        quoted.append(c);
                    }
                    if (at >= expression.length()) {
                        throw bad(expression, at, "a closing quote");
                    }
                    at++;
                    value = quoted.toString();
                } else {
                    int end = expression.indexOf(',', at);
                    end = end < 0 ? expression.length() : end;
                    value = expression.substring(at, end);
                    at = end;
                }
                if (value.isEmpty()) {
                    throw bad(expression, at, "a value");
                }
            }
            Pattern pattern = null;
            if (operator == Operator.MATCHES) {
                try {
                    pattern = Pattern.compile(value);
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("filter \"" + expression + "\": " + value
                            + " is not a regular expression: " + e.getDescription());
                }
            }
            // BuildKit's fields are single names; a path's first part is what it looks up
            int dot = field.indexOf('.');
            selectors.add(new Selector(dot < 0 ? field : field.substring(0, dot), operator, value, pattern));
            if (at >= expression.length()) {
                return List.copyOf(selectors);
            }
            if (expression.charAt(at) != ',') {
                throw bad(expression, at, "a comma");
            }
            at++;
        }
    }

    private static boolean isFieldChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.';
    }

    private static IllegalArgumentException bad(String expression, int at, String expected) {
        return new IllegalArgumentException("filter \"" + expression + "\": expected " + expected + " at position "
                + (at + 1) + " (filters look like type==regular, description~=RUN or inuse, joined by commas)");
    }
}
