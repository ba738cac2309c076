package dev.kiln.dockerfile.instructions;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/** "did you mean ...?" hints: the closest option within an edit distance of two. */
public final class Suggestions {

    private static final int MAX_DISTANCE = 3;

    private Suggestions() {}

    /** The option closest to {@code value}, unless {@code value} is one of them exactly or none is close. */
    public static Optional<String> closest(String value, Collection<String> options, boolean caseSensitive) {
        String probe = caseSensitive ? value : value.toLowerCase(Locale.ROOT);
        String match = null;
        int best = MAX_DISTANCE;
        for (String option : new TreeSet<>(options)) {
            String candidate = caseSensitive ? option : option.toLowerCase(Locale.ROOT);
            if (candidate.equals(probe)) {
                return Optional.empty();
            }
            int distance = distance(probe, candidate);
            if (distance < best) {
                best = distance;
                match = caseSensitive ? candidate : matchCase(candidate, value);
            }
        }
        return Optional.ofNullable(match);
    }

    /** {@code message}, plus " (did you mean X?)" when an option is close to {@code value}. */
    public static String wrap(String message, String value, Collection<String> options, boolean caseSensitive) {
        return closest(value, options, caseSensitive)
                .map(m -> message + " (did you mean " + m + "?)")
                .orElse(message);
    }

    private static String matchCase(String option, String original) {
        if (original.equals(original.toLowerCase(Locale.ROOT))) {
            return option.toLowerCase(Locale.ROOT);
        }
        if (original.equals(original.toUpperCase(Locale.ROOT))) {
            return option.toUpperCase(Locale.ROOT);
        }
        return option;
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
