package dev.kiln.engine;

import dev.kiln.gateway.BuildFunction;
import dev.kiln.llb.pb.Definition;

/** What produces a build's result: a marshalled LLB definition, a registered frontend by name, or Java code. */
public sealed interface FrontendSpec {

    /** An LLB definition solved as it is, as {@code buildctl build} does with a definition on stdin. */
    record Llb(Definition definition) implements FrontendSpec {}

    /** A frontend known to the engine by name, such as {@code dockerfile.v0}. */
    record Named(String name) implements FrontendSpec {}

    /** A frontend given as code. */
    record Function(String name, BuildFunction function) implements FrontendSpec {}
}
