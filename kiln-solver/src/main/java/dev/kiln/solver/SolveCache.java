package dev.kiln.solver;

import java.util.List;
import java.util.Optional;

/**
 * A solve's cache beyond the solver's own {@link CacheStore}, given per solve: results imported from elsewhere
 * answer the steps the local cache misses, and every step of a finished solve is reported with its key's
 * derivation, so that the caller can export them. The solver knows nothing of where imported results come from or
 * where exported steps go.
 */
public interface SolveCache {

    /** No imports, no reports: what a solve without a cache of its own uses. */
    SolveCache NONE = new SolveCache() {};

    /**
     * Results for a step whose key the local cache misses, one per output, made real on this worker (the results
     * are recorded in the local cache under the key before the solve uses them); empty when this cache has none.
     * Called on the step's own thread; {@code ctx} takes its log lines and warnings. A failure here does not fail
     * the step: the solver warns and runs it.
     */
    default Optional<List<Result>> load(String key, OperationContext ctx) throws Exception {
        return Optional.empty();
    }

    /**
     * Called once per step of a solve that succeeded, every step after the steps it consumes; for a solve that failed,
     * once per step that finished before the failure.
     */
    default void solved(KeyedStep step) {}
}
