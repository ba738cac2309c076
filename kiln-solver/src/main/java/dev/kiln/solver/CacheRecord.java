package dev.kiln.solver;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the cache knows about one vertex key: the results an earlier run produced.
 *
 * @param vertexName name of the vertex that produced them, for listings
 * @param resultIds  one {@link Result#id()} per output, in output order
 * @param created    when the run finished
 */
public record CacheRecord(String vertexName, List<String> resultIds, Instant created) {

    public CacheRecord {
        Objects.requireNonNull(vertexName, "vertex name");
        Objects.requireNonNull(resultIds, "result ids");
        Objects.requireNonNull(created, "created time");
        for (int i = 0; i < resultIds.size(); i++) {
            Objects.requireNonNull(resultIds.get(i), "result id " + i);
        }
        resultIds = List.copyOf(resultIds);
    }
}
