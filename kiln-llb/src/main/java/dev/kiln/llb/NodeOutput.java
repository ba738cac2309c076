package dev.kiln.llb;

import java.util.Objects;

/** One output of a node; what a {@link State} stands for. */
record NodeOutput(Node node, int index) {

    NodeOutput {
        Objects.requireNonNull(node, "node");
    }
}
