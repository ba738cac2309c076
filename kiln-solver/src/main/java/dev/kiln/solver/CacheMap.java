package dev.kiln.solver;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The key material of one vertex.
 *
 * @param digest    the op's own key material
 * @param inputKeys one per input of the vertex, saying how that input contributes to the key
 */
public record CacheMap(String digest, List<InputKey> inputKeys) {

    public CacheMap {
        Objects.requireNonNull(digest, "cache map digest");
        Objects.requireNonNull(inputKeys, "cache map input keys");
        for (int i = 0; i < inputKeys.size(); i++) {
            Objects.requireNonNull(inputKeys.get(i), "cache map input key " + i);
        }
        inputKeys = List.copyOf(inputKeys);
    }

    /** The common case: every input contributes its own cache key. */
    public static CacheMap byCacheKeys(String digest, int inputCount) {
        List<InputKey> keys = new ArrayList<>(Collections.nCopies(inputCount, new InputKey.ByCacheKey()));
        return new CacheMap(digest, keys);
    }
}
