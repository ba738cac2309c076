package dev.kiln.solver;

/** An op output, opaque to the solver; the worker persists it under {@link #id()} and can load it again by id. */
public interface Result {

    String id();
}
