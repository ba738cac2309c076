package dev.kiln.solver;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One solved step as a cache export needs it: its key, where the key came from (one {@link StepInput} per input, in
 * input order), and its results. The key is a digest of op definitions and content checksums only (see
 * {@link CacheKeys}), never of anything local to one state, so another state that computes the same key for a step
 * may reuse these results.
 *
 * @param key     the vertex key (64 hex digits); output {@code i}'s key is {@code key + "#" + i}
 * @param name    the vertex name, for progress
 * @param created when the results were made (by this run, or the run the cache record remembers)
 * @param vertexDigest the digest of the vertex this step solved
 * @param opKey   the op's own key material ({@link CacheMap#digest()}), without its inputs
 * @param notes   what went into {@code opKey} beyond the op's definition ({@link CacheMap#notes()})
 * @param ran     true when this solve ran the op; false when its results came from a cache
 */
public record KeyedStep(
        String key,
        String name,
        List<StepInput> inputs,
        List<Result> results,
        Instant created,
        String vertexDigest,
        String opKey,
        Map<String, String> notes,
        boolean ran) {

    public KeyedStep {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(name, "name");
        inputs = List.copyOf(inputs);
        results = List.copyOf(results);
        Objects.requireNonNull(created, "created");
        vertexDigest = vertexDigest == null ? "" : vertexDigest;
        opKey = opKey == null ? "" : opKey;
        notes = notes == null ? Map.of() : notes;
    }

    public KeyedStep(String key, String name, List<StepInput> inputs, List<Result> results, Instant created) {
        this(key, name, inputs, results, created, "", "", Map.of(), false);
    }

    /** The key of one output, as a dependant's {@link StepInput.Linked} names it. */
    public static String outputKey(String vertexKey, int output) {
        return CacheKeys.outputKey(vertexKey, output);
    }

    /** How one input contributed to the key. */
    public sealed interface StepInput {

        /** The vertex key and output index of the step whose output this input is. */
        String producerKey();

        int producerOutput();

        /** The input's own key contributed: the producer's output key. */
        record Linked(String producerKey, int producerOutput) implements StepInput {}

        /** A checksum of the input's content under the selectors contributed, not the producer's key. */
        record Content(String producerKey, int producerOutput, String checksum, List<String> selectors)
                implements StepInput {

            public Content {
                selectors = List.copyOf(selectors);
            }
        }
    }
}
