package dev.kiln.solver;

import java.util.List;

/**
 * A node of the build graph as the solver sees it: identity, inputs, and how to key and run it.
 *
 * <p>Vertices are read from many threads at once and must not change once built. Two vertices with the same
 * {@link #digest()} are the same step: the solver evaluates them once and shares the outcome.
 */
public interface Vertex {

    /** {@code "sha256:<hex>"} of the marshalled op: the vertex's identity. */
    String digest();

    /** Display name for progress, e.g. {@code "RUN make"} or {@code "local://context"}. */
    String name();

    /** The outputs of other vertices this one consumes, in the order {@link Operation#exec} receives them. */
    List<Edge> inputs();

    /** OpMetadata.ignore_cache: always run, never look up (the fresh result is still recorded in the cache). */
    boolean ignoreCache();

    /** How to key and run this vertex; supplied by the engine from the worker. */
    Operation operation();
}
