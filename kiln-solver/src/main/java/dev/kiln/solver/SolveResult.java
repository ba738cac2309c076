package dev.kiln.solver;

import java.util.Objects;

/**
 * The outcome of solving one edge.
 *
 * @param result   the output the edge names
 * @param cacheKey that output's cache key: the vertex's key, {@code "#"}, and the output index
 */
public record SolveResult(Result result, String cacheKey) {

    public SolveResult {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(cacheKey, "cache key");
    }
}
