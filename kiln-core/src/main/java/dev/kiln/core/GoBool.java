package dev.kiln.core;

import java.util.Optional;

/**
 * A boolean as Go's strconv.ParseBool reads it, as BuildKit reads its exporters' and caches' flags: {@code 1},
 * {@code t}, {@code T}, {@code true}, {@code TRUE}, {@code True}, and {@code 0}, {@code f}, {@code F}, {@code false},
 * {@code FALSE}, {@code False}; anything else, the empty text too, is none.
 */
public final class GoBool {

    private GoBool() {}

    public static Optional<Boolean> parse(String text) {
        return switch (text) {
            case "1", "t", "T", "true", "TRUE", "True" -> Optional.of(true);
            case "0", "f", "F", "false", "FALSE", "False" -> Optional.of(false);
            default -> Optional.empty();
        };
    }

    /** Whether {@code text} is one of the false spellings; a missing ({@code null}) text is not. */
    public static boolean isFalse(String text) {
        return text != null && parse(text).equals(Optional.of(false));
    }
}
