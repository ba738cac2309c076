package dev.kiln.engine.cache;

import dev.kiln.core.Digest;
import dev.kiln.solver.KeyedStep;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.solver.SolveCache;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One build's cache beyond the engine's own: the imports its steps may come from, and every step its solves
 * finished, in the order they were solved (inputs first), for the cache exports at the build's end.
 *
 * <p>How Kiln's keys become BuildKit's records: one record per step output, whose digest is the sha256 of that
 * output's Kiln cache key ({@code vertexKey#output}, see the solver's CacheKeys). That key is a digest of op
 * definitions and content checksums only (a local source by its files' content, an image by its manifest digest,
 * a copy by the checksum of what it copies), never of a snapshot id or a path of this state, so another state
 * that computes the same key finds the record. The record's inputs link to the records of the outputs it consumed
 * (with the content checksum as the selector where the step was keyed by content), as BuildKit's records link
 * theirs; an import matches on the digest alone, which already covers the inputs.
 */
public final class BuildCache implements SolveCache {

    private final List<ImportedCache> imports;
    private final Map<String, KeyedStep> steps = new LinkedHashMap<>();

    public BuildCache(List<ImportedCache> imports) {
        this.imports = List.copyOf(imports);
    }

    /** The record digest of one step output: the sha256 of its Kiln output key. */
    public static Digest recordDigest(String vertexKey, int output) {
        return Digest.sha256(KeyedStep.outputKey(vertexKey, output).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Optional<List<Result>> load(String key, OperationContext ctx) throws Exception {
        for (ImportedCache imported : imports) {
            Optional<List<Result>> results = imported.load(key, ctx);
            if (results.isPresent()) {
                return results;
            }
        }
        return Optional.empty();
    }

    @Override
    public boolean confirms(String key, int index, Result input, String checksum) {
        return imports.stream().anyMatch(imported -> imported.confirms(key, index, input, checksum));
    }

    @Override
    public Set<String> knownChecksums(Result input) {
        Set<String> known = new LinkedHashSet<>();
        for (ImportedCache imported : imports) {
            known.addAll(imported.knownChecksums(input));
        }
        return known;
    }

    @Override
    public synchronized void solved(KeyedStep step) {
        KeyedStep known = steps.putIfAbsent(step.key(), step);
        if (known != null && step.ran() && !known.ran()) {
            // A later solve of the build ran what an earlier one took from elsewhere: the explanation wants the run.
            steps.put(step.key(), step);
        }
    }

    /** Every step the build's solves finished, each once, every step after the steps it consumes. */
    public synchronized List<KeyedStep> steps() {
        return new ArrayList<>(steps.values());
    }
}
