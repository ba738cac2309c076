package dev.kiln.solver;

import java.util.List;
import java.util.Optional;

/** Supplied by the worker: reopens persisted results and checksums their content. Called from many threads. */
public interface ResultStore {

    /** The result persisted under this id, or empty if it was removed (a cache record naming it is then a miss). */
    Optional<Result> load(String id);

    /** A checksum of the result's content under the selectors, for {@link InputKey.ByContent}. */
    String contentChecksum(Result result, List<String> selectors) throws Exception;
}
