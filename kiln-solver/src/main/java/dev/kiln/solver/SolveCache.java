package dev.kiln.solver;

import java.util.List;
import java.util.Optional;
import java.util.Set;

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
     * Content checksums this cache already knows for a result it gave out: those the exporting build computed over the
     * same layers for the steps that consumed it. The solver tries each as that input's contribution to a consumer's
     * key, so that an imported input need not be unpacked to be hashed; see {@link #confirms}.
     */
    default Set<String> knownChecksums(Result input) {
        return Set.of();
    }

    /**
     * Whether this cache has results for the key, recorded by a step whose input {@code index} was {@code input}'s own
     * record, hashed to {@code checksum}. Only then is a known checksum taken: the key alone would also match a step
     * that hashed other content to that checksum under the same selectors.
     */
    default boolean confirms(String key, int index, Result input, String checksum) {
        return false;
    }

    /**
     * Called once per step of a solve that succeeded, every step after the steps it consumes; for a solve that failed,
     * once per step that finished before the failure.
     */
    default void solved(KeyedStep step) {}
}
