package dev.kiln.worker.ops;

import dev.kiln.llb.Ops;
import dev.kiln.llb.pb.Op;

/** The key material every op starts from. */
final class OpKeys {

    private OpKeys() {
    }

    /**
     * The digest of the op with its input edges left out. Inputs enter a cache key through their
     * own keys (or content), never through their op digests, so a step whose input was rebuilt to
     * the same content keeps its key.
     */
    static String withoutInputs(Op op) {
        return Ops.digest(op.toBuilder().clearInputs().build()).toString();
    }
}
