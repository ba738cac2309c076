package dev.kiln.worker.ops;

import dev.kiln.llb.pb.Op;
import dev.kiln.solver.CacheMap;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;

/**
 * An op that reads nothing but its inputs' snapshots (diff, merge): its key is the op's own digest and its inputs'
 * keys, never their content, so it is known before any input is built.
 */
interface InputKeyedOperation extends Operation {

    Op op();

    @Override
    default CacheMap cacheMap(OperationContext ctx) {
        return OpKeys.byInputKeys(op());
    }
}
