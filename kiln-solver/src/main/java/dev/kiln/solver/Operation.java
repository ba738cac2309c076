package dev.kiln.solver;

import java.util.List;

/**
 * What the worker implements per op kind. Both methods run on the vertex's own virtual thread; an interrupt means
 * the solve no longer wants the result, and the operation should stop and clean up promptly.
 */
public interface Operation {

    /** Key material of this op alone, computed before it runs. May do I/O: a local source checksums its files here. */
    CacheMap cacheMap(OperationContext ctx) throws Exception;

    /** Runs the op on its inputs' results (same order as {@link Vertex#inputs()}); returns one Result per output. */
    List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception;
}
