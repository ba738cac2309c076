package dev.kiln.engine.gateway;

import dev.kiln.llb.LlbEdge;
import dev.kiln.llb.LlbVertex;
import dev.kiln.llb.pb.FileAction;
import dev.kiln.llb.pb.Mount;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The steps whose outputs are the layers of one result, top first: an exec's output stacks a layer on the input of
 * the mount it comes from, a file op's on the input of the action that makes it (through the op's earlier actions).
 * The walk ends at a source (its layers come as blobs), at scratch, and at merges, diffs and nested builds.
 */
final class LayerChain {

    private LayerChain() {}

    /** Each step on {@code result}'s layer chain, with the output of it that the chain passes through. */
    static Map<LlbVertex, Set<Integer>> of(LlbEdge result) {
        Map<LlbVertex, Set<Integer>> chain = new HashMap<>();
        LlbEdge edge = result;
        while (edge != null
                && chain.computeIfAbsent(edge.vertex(), v -> new HashSet<>()).add(edge.index())) {
            edge = below(edge);
        }
        return chain;
    }

    /** The edge the output {@code edge} is a layer on, or null where the chain ends. */
    private static LlbEdge below(LlbEdge edge) {
        LlbVertex vertex = edge.vertex();
        return switch (vertex.kind()) {
            case EXEC ->
                vertex.op().getExec().getMountsList().stream()
                        .filter(mount -> mount.getOutput() == edge.index())
                        .findFirst()
                        .map(Mount::getInput)
                        .map(input -> input(vertex, input))
                        .orElse(null);
            case FILE -> fileInput(vertex, edge.index());
            default -> null;
        };
    }

    /** The op input the file op's action making output {@code output} starts from, through earlier actions. */
    private static LlbEdge fileInput(LlbVertex vertex, int output) {
        List<FileAction> actions = vertex.op().getFile().getActionsList();
        int inputs = vertex.inputs().size();
        FileAction action = actions.stream()
                .filter(a -> a.getOutput() == output)
                .findFirst()
                .orElse(null);
        // an action's input names an op input below the op's input count, an earlier action's result above it
        for (int steps = 0; action != null && action.getInput() >= inputs && steps < actions.size(); steps++) {
            long earlier = action.getInput() - inputs;
            action = earlier < actions.size() ? actions.get((int) earlier) : null;
        }
        return action == null ? null : input(vertex, action.getInput());
    }

    private static LlbEdge input(LlbVertex vertex, long index) {
        return index >= 0 && index < vertex.inputs().size() ? vertex.inputs().get((int) index) : null;
    }
}
