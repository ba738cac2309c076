package dev.kiln.gateway;

import dev.kiln.llb.State;
import java.util.List;

/** A handle on one solved (or solvable) filesystem result. */
public interface Reference {

    /** The LLB state that produces this result, for building on it. */
    State toState();

    /** Makes sure the result is computed, not just planned. */
    void evaluate() throws InterruptedException;

    /** Reads a file, or a range of it. */
    byte[] readFile(ReadRequest request) throws InterruptedException;

    /** Stats one path without following a final symlink. */
    Stat statFile(StatRequest request) throws InterruptedException;

    /** Lists a directory, optionally filtered by a pattern on the entry names. */
    List<Stat> readDir(ReadDirRequest request) throws InterruptedException;
}
