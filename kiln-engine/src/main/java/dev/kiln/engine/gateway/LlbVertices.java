package dev.kiln.engine.gateway;

import dev.kiln.llb.LlbEdge;
import dev.kiln.llb.LlbVertex;
import dev.kiln.solver.Edge;
import dev.kiln.solver.Operation;
import dev.kiln.solver.Vertex;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
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

    /**
     * Adapts {@code root} after every input below it. The walk keeps its own stack rather than recursing: a chain
     * of steps is as deep as it is long, and ten thousand steps would overflow the thread's stack.
     */
    private Vertex vertex(LlbVertex root) {
        Deque<LlbVertex> pending = new ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            LlbVertex llb = pending.peek();
            if (adapted.containsKey(llb)) {
                pending.pop();
                continue;
            }
            boolean inputsReady = true;
            for (LlbEdge input : llb.inputs()) {
                if (!adapted.containsKey(input.vertex())) {
                    // The graph is acyclic (LlbGraph.decode checked), so every push leads closer to a source.
                    pending.push(input.vertex());
                    inputsReady = false;
                }
            }
            if (inputsReady) {
                pending.pop();
                List<Edge> inputs = new ArrayList<>(llb.inputs().size());
                for (LlbEdge input : llb.inputs()) {
                    inputs.add(new Edge(adapted.get(input.vertex()), input.index()));
                }
                adapted.put(llb, new Adapted(llb.digest().toString(), llb.name(), List.copyOf(inputs),
                        llb.ignoreCache(), worker.operation(llb, session)));
            }
        }
        return adapted.get(root);
    }

    private record Adapted(String digest, String name, List<Edge> inputs, boolean ignoreCache, Operation operation)
            implements Vertex {
    }
}
