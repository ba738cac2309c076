package dev.kiln.llb;

import dev.kiln.core.Platform;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * An op that came from a decoded definition rather than from the State API: it marshals to its
 * original bytes, so a state built on a solved result keeps every digest of the graph it came from.
 */
final class DecodedNode implements Node {

    private final LlbVertex vertex;
    private final List<NodeOutput> inputs;

    private DecodedNode(LlbVertex vertex, List<NodeOutput> inputs) {
        this.vertex = vertex;
        this.inputs = inputs;
    }

    /** The node of {@code vertex}, with one node per vertex of its graph. */
    static DecodedNode of(LlbVertex vertex) {
        Map<LlbVertex, DecodedNode> made = new IdentityHashMap<>();
        return LlbGraph.inputsFirst(vertex, made, next -> {
            List<NodeOutput> inputs = new ArrayList<>(next.inputs().size());
            for (LlbEdge edge : next.inputs()) {
                inputs.add(new NodeOutput(made.get(edge.vertex()), edge.index()));
            }
            return new DecodedNode(next, List.copyOf(inputs));
        });
    }

    @Override
    public List<NodeOutput> inputsInVisitOrder() {
        return inputs;
    }

    @Override
    public MarshalledOp marshal(DefinitionWriter writer) {
        return new MarshalledOp(vertex.digest(), vertex.encoded().toByteArray(), vertex.metadata(), List.of());
    }

    @Override
    public Platform outputPlatform() {
        if (!vertex.op().hasPlatform()) {
            return null;
        }
        return PlatformWire.fromProto(vertex.op().getPlatform());
    }

    @Override
    public String toString() {
        return "decoded " + vertex.name();
    }
}
