package dev.kiln.worker.ops;

import dev.kiln.llb.Ops;
import dev.kiln.llb.pb.Op;
import dev.kiln.solver.CacheMap;

/** The key material every op starts from. */
final class OpKeys {

    private OpKeys() {}

    /**
     * The digest of the op with its input edges left out. Inputs enter a cache key through their
     * own keys (or content), never through their op digests, so a step whose input was rebuilt to
     * the same content keeps its key.
     */
    static String withoutInputs(Op op) {
        return Ops.digest(op.toBuilder().clearInputs().build()).toString();
    }

    /** The cache map of an op whose inputs all enter its key by their own keys, none by content. */
    static CacheMap byInputKeys(Op op) {
        return CacheMap.byCacheKeys(withoutInputs(op), op.getInputsCount());
    }
}
