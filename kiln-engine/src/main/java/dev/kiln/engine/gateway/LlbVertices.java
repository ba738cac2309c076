package dev.kiln.engine.gateway;

import dev.kiln.llb.LlbEdge;
import dev.kiln.llb.LlbVertex;
import dev.kiln.solver.Edge;
import dev.kiln.solver.Operation;
import dev.kiln.solver.Vertex;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;

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

    private Vertex vertex(LlbVertex llb) {
        Vertex existing = adapted.get(llb);
        if (existing != null) {
            return existing;
        }
        // Inputs are adapted first: the graph is acyclic (LlbGraph.decode checked), so this recursion ends.
        List<Edge> inputs = llb.inputs().stream().map(this::edge).toList();
        Vertex made = new Adapted(llb.digest().toString(), llb.name(), inputs, llb.ignoreCache(),
                worker.operation(llb, session));
        adapted.put(llb, made);
        return made;
    }

    private record Adapted(String digest, String name, List<Edge> inputs, boolean ignoreCache, Operation operation)
            implements Vertex {
    }
}
