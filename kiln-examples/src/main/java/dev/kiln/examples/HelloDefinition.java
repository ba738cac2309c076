package dev.kiln.examples;

import java.io.IOException;

/** Writes HelloBuild's graph as a marshalled LLB definition to stdout, for {@code kiln build} to read from stdin. */
public final class HelloDefinition {

    private HelloDefinition() {}

    public static void main(String[] args) throws IOException {
        HelloBuild.graph().marshal().writeTo(System.out);
        System.out.flush();
    }
}
