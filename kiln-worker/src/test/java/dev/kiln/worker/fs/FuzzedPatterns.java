package dev.kiln.worker.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.PathPatterns;
import java.util.List;
import java.util.Optional;

/**
 * Patterns a fuzz target made up, compiled as a build compiles .dockerignore and --exclude patterns: the only
 * refusal allowed is the one a user is meant to see, an "invalid pattern" message; anything else fails the target.
 */
public final class FuzzedPatterns {

    private FuzzedPatterns() {}

    /** The compiled patterns, or empty when they are refused as invalid (then the target has nothing to match). */
    public static Optional<PathPatterns> compile(List<String> patterns) {
        try {
            return Optional.of(PathPatterns.compile(patterns));
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).startsWith("invalid pattern");
            return Optional.empty();
        }
    }
}
