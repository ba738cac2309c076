package dev.kiln.worker.ops;

import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import dev.kiln.llb.Ops;
import dev.kiln.llb.pb.Op;
import dev.kiln.solver.CacheMap;
import java.nio.charset.StandardCharsets;

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

    /**
     * The cache map of a source op: the op and the {@code content} it stands for (a commit, a manifest or download
     * digest, ...), so that the same op naming new content is a new key.
     */
    static CacheMap bySourceContent(Op op, String content) {
        String key = withoutInputs(op) + "\n" + content;
        return CacheMap.byCacheKeys(
                Digest.sha256(key.getBytes(StandardCharsets.UTF_8)).toString(), 0);
    }

    /** The platform the op names, else {@code fallback} (the host's, for an op that does not name one). */
    static Platform platform(Op op, Platform fallback) {
        if (!op.hasPlatform()) {
            return fallback;
        }
        return Platform.of(
                op.getPlatform().getOS(),
                op.getPlatform().getArchitecture(),
                op.getPlatform().getVariant());
    }
}
