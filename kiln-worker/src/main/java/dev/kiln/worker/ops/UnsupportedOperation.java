package dev.kiln.worker.ops;

import dev.kiln.solver.CacheMap;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import java.util.List;

/** An op this worker cannot run; it fails when the solver reaches it, with a message saying why. */
public record UnsupportedOperation(String reason) implements Operation {

    @Override
    public CacheMap cacheMap(OperationContext ctx) {
        throw new UnsupportedOperationException(reason);
    }

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) {
        throw new UnsupportedOperationException(reason);
    }
}
