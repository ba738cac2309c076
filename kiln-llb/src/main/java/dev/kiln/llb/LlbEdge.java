package dev.kiln.llb;

import java.util.Objects;

/**
 * One output of a vertex, as an input of another: {@code index} picks the output (an exec has one
 * per writable mount, a file op one per action output, other ops one).
 *
 * <p>Equality is by the vertex's digest and the index, so comparing edges never walks the graph.
 */
public record LlbEdge(LlbVertex vertex, int index) {

    public LlbEdge {
        Objects.requireNonNull(vertex, "vertex");
        if (index < 0) {
            throw new IllegalArgumentException("output index must be >= 0, not " + index);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LlbEdge other
                && index == other.index
                && vertex.digest().equals(other.vertex.digest());
    }

    @Override
    public int hashCode() {
        return vertex.digest().hashCode() * 31 + index;
    }

    @Override
    public String toString() {
        return vertex.digest() + "[" + index + "]";
    }
}
