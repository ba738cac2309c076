package dev.kiln.solver;

import java.util.Objects;

/** One output of a vertex, as consumed by a dependant or requested from the solver. */
public record Edge(Vertex vertex, int outputIndex) {

    public Edge {
        Objects.requireNonNull(vertex, "edge vertex");
        if (outputIndex < 0) {
            throw new IllegalArgumentException(
                    "edge to vertex \"" + vertex.name() + "\" has a negative output index: " + outputIndex);
        }
    }
}
