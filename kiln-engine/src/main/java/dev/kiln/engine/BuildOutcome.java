package dev.kiln.engine;

import dev.kiln.gateway.Result;

import java.time.Duration;
import java.util.List;

/** A finished build: its result (still usable until the engine closes), warnings and timing. */
public record BuildOutcome(Result result, List<Warning> warnings, Duration elapsed) {

    public BuildOutcome {
        warnings = List.copyOf(warnings);
    }
}
