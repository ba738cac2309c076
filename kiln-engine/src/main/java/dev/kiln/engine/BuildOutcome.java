package dev.kiln.engine;

import dev.kiln.gateway.Result;
import java.time.Duration;
import java.util.List;

/**
 * A finished build: its result (still usable until the engine closes), warnings and timing, and why each step that
 * ran did not come from the cache (compared with the last build of the same target; see {@link CacheMiss}).
 */
public record BuildOutcome(Result result, List<Warning> warnings, Duration elapsed, List<CacheMiss> cacheMisses) {

    public BuildOutcome {
        warnings = List.copyOf(warnings);
        cacheMisses = List.copyOf(cacheMisses);
    }

    public BuildOutcome(Result result, List<Warning> warnings, Duration elapsed) {
        this(result, warnings, elapsed, List.of());
    }
}
