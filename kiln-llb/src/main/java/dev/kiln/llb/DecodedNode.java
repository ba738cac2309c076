package dev.kiln.llb;

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

    /** The node of {@code vertex}, with one node per vertex of its graph ({@code made} remembers them). */
    static DecodedNode of(LlbVertex vertex, Map<LlbVertex, DecodedNode> made) {
        DecodedNode existing = made.get(vertex);
        if (existing != null) {
            return existing;
        }
        // Decoded graphs are acyclic (LlbGraph.decode checks), so the recursion ends.
        List<NodeOutput> inputs = vertex.inputs().stream()
                .map(edge -> new NodeOutput(of(edge.vertex(), made), edge.index()))
                .toList();
        DecodedNode node = new DecodedNode(vertex, inputs);
        made.put(vertex, node);
        return node;
    }

    static DecodedNode of(LlbVertex vertex) {
        return of(vertex, new IdentityHashMap<>());
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
        var platform = vertex.op().getPlatform();
        return new Platform(platform.getOS(), platform.getArchitecture(), platform.getVariant(),
                platform.getOSVersion(), platform.getOSFeaturesList());
    }

    @Override
    public String toString() {
        return "decoded " + vertex.name();
    }
}
