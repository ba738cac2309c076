package dev.kiln.solver;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The key material of one vertex.
 *
 * @param digest    the op's own key material
 * @param inputKeys one per input of the vertex, saying how that input contributes to the key
 * @param notes     what went into {@code digest} beyond the op's definition, by name (a resolved image digest, a
 *                  local source's file checksums), so that a later build can say which of them changed; not part
 *                  of the key, and kept small by whoever makes them
 */
public record CacheMap(String digest, List<InputKey> inputKeys, Map<String, String> notes) {

    public CacheMap {
        Objects.requireNonNull(digest, "cache map digest");
        Objects.requireNonNull(inputKeys, "cache map input keys");
        for (int i = 0; i < inputKeys.size(); i++) {
            Objects.requireNonNull(inputKeys.get(i), "cache map input key " + i);
        }
        inputKeys = List.copyOf(inputKeys);
        notes = notes == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(notes));
    }

    public CacheMap(String digest, List<InputKey> inputKeys) {
        this(digest, inputKeys, Map.of());
    }

    /** The same key material with notes on how the op's own part was made. */
    public CacheMap withNotes(Map<String, String> notes) {
        return new CacheMap(digest, inputKeys, notes);
    }

    /** The common case: every input contributes its own cache key. */
    public static CacheMap byCacheKeys(String digest, int inputCount) {
        List<InputKey> keys = new ArrayList<>(Collections.nCopies(inputCount, new InputKey.ByCacheKey()));
        return new CacheMap(digest, keys);
    }
}
