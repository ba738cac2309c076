package dev.kiln.engine.gateway;

import dev.kiln.llb.LlbEdge;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.LlbVertex;
import dev.kiln.solver.Edge;
import dev.kiln.solver.Operation;
import dev.kiln.solver.Vertex;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns decoded LLB vertices into the solver's vertices, each with the worker's operation for its
 * op. One instance per graph, so a vertex shared by several paths is adapted once.
 */
final class LlbVertices {

    private final Worker worker;
    private final BuildSession session;
    private final Map<LlbVertex, Vertex> adapted = new HashMap<>();

    LlbVertices(Worker worker, BuildSession session) {
        this.worker = worker;
        this.session = session;
    }

    Edge edge(LlbEdge edge) {
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
                    worker.operation(llb, session));
        });
    }

    private record Adapted(String digest, String name, List<Edge> inputs, boolean ignoreCache, Operation operation)
            implements Vertex {}
}
