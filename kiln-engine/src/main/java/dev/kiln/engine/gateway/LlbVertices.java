package dev.kiln.engine.gateway;

import dev.kiln.engine.export.EarlyLayers;
import dev.kiln.llb.LlbEdge;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.LlbVertex;
import dev.kiln.solver.CacheMap;
import dev.kiln.solver.Edge;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.solver.Vertex;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.Worker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Turns decoded LLB vertices into the solver's vertices, each with the worker's operation for its
 * op. One instance per graph, so a vertex shared by several paths is adapted once.
 */
final class LlbVertices {

    private final Worker worker;
    private final BuildSession session;
    private final EarlyLayers early;
    private final Map<LlbVertex, Vertex> adapted = new HashMap<>();
    /** The outputs whose layers are written ahead, by step. */
    private Map<LlbVertex, Set<Integer>> layersAhead = Map.of();

    LlbVertices(Worker worker, BuildSession session, EarlyLayers early) {
        this.worker = worker;
        this.session = session;
        this.early = early;
    }

    /** The solver's edge for {@code edge}; the layers of the result it leads to are written ahead (EarlyLayers). */
    Edge edge(LlbEdge edge) {
        if (early.active() && !early.everyStep()) {
            layersAhead = LayerChain.of(edge); // with every step's layers written ahead, no chain is needed
        }
        return new Edge(vertex(edge.vertex()), edge.index());
    }

    /** Adapts {@code root} after every input below it (LlbGraph.inputsFirst: no recursion, however deep). */
    private Vertex vertex(LlbVertex root) {
        return LlbGraph.inputsFirst(root, adapted, llb -> {
            List<Edge> inputs = new ArrayList<>(llb.inputs().size());
            for (LlbEdge input : llb.inputs()) {
                inputs.add(new Edge(adapted.get(input.vertex()), input.index()));
            }
            return new Adapted(
                    llb.digest().toString(),
                    llb.name(),
                    List.copyOf(inputs),
                    llb.ignoreCache(),
                    writingLayersAhead(llb, worker.operation(llb, session)));
        });
    }

    /** {@code operation}, handing the snapshots of the outputs an export needs to {@link EarlyLayers} as it ends. */
    private Operation writingLayersAhead(LlbVertex llb, Operation operation) {
        Set<Integer> chained = layersAhead.get(llb);
        if (!early.active() || (chained == null && !early.everyStep())) {
            return operation;
        }
        IntPredicate needed = early.everyStep() ? output -> true : chained::contains;
        return new Operation() {
            @Override
            public CacheMap cacheMap(OperationContext ctx) throws Exception {
                return operation.cacheMap(ctx);
            }

            @Override
            public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
                List<Result> results = operation.exec(ctx, inputs);
                for (int i = 0; i < results.size(); i++) {
                    if (needed.test(i) && results.get(i) instanceof SnapshotResult made) {
                        early.made(made.snapshot());
                    }
                }
                return results;
            }
        };
    }

    private record Adapted(String digest, String name, List<Edge> inputs, boolean ignoreCache, Operation operation)
            implements Vertex {}
}
