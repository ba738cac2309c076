package dev.kiln.engine.explain;

import java.util.List;
import java.util.Map;

/**
 * What the engine keeps of the last build of one target, to explain the next build's cache misses: the build
 * arguments it was given and each of its steps with its key and what the key was made of. Stored as JSON under
 * {@code STATE/explain/}, one file per target; bounded by the steps of one build (a local source notes at most a few
 * thousand files, an op's definition is left out beyond {@link CacheExplainer#MAX_OP_BYTES}).
 *
 * @param version   {@link CacheExplainer#VERSION}; a record of another version is ignored
 * @param target    what names the target (frontend, Dockerfile path, --target), as {@link CacheExplainer} makes it
 * @param buildArgs the build arguments by name, values shortened
 */
record BuildRecord(int version, String target, Map<String, String> buildArgs, List<Step> steps) {

    BuildRecord {
        buildArgs = buildArgs == null ? Map.of() : buildArgs;
        steps = steps == null ? List.of() : steps;
    }

    /**
     * One solved step.
     *
     * @param digest the vertex digest
     * @param kind   the op kind (exec, source, file, ...), lowercase
     * @param key    the solver's vertex key
     * @param opKey  the op's own key material, without its inputs
     * @param op     the base64 of the marshalled op without its inputs; empty when it was too large to keep
     * @param notes  what went into {@code opKey} beyond the op (an image digest, a local source's file checksums)
     */
    record Step(
            String digest,
            String name,
            String kind,
            String key,
            String opKey,
            String op,
            Map<String, String> notes,
            List<Input> inputs) {

        Step {
            notes = notes == null ? Map.of() : notes;
            inputs = inputs == null ? List.of() : inputs;
            op = op == null ? "" : op;
        }
    }

    /**
     * How one input contributed to a step's key: the producing step's key and output, and for an input keyed by
     * content, the checksum and the selectors (paths) it covers.
     */
    record Input(String producer, int output, String checksum, List<String> selectors) {

        Input {
            checksum = checksum == null ? "" : checksum;
            selectors = selectors == null ? List.of() : selectors;
        }
    }
}
