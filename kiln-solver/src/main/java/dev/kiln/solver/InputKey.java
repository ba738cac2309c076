package dev.kiln.solver;

import java.util.List;
import java.util.Objects;

/** How one input of a vertex contributes to the vertex's cache key. */
public sealed interface InputKey {

    /** The input's own cache key: the vertex re-runs whenever the input's key changes. */
    record ByCacheKey() implements InputKey {}

    /**
     * A checksum of the input's content under the selectors (paths, for a copy): the vertex stays a cache hit when
     * its input re-ran but produced the same content.
     */
    record ByContent(List<String> selectors) implements InputKey {

        public ByContent {
            Objects.requireNonNull(selectors, "content selectors");
            for (int i = 0; i < selectors.size(); i++) {
                Objects.requireNonNull(selectors.get(i), "content selector " + i);
            }
            selectors = List.copyOf(selectors);
        }
    }
}
