package dev.kiln.llb;

import dev.kiln.core.Platform;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.SourceOp;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A source op: content from outside the graph, named by an identifier URL and shaped by attributes. */
final class SourceNode implements Node {

    static final String LOCAL_SESSION = "local.session";
    static final String LOCAL_UNIQUE = "local.unique";

    private final String identifier;
    private final Map<String, String> attrs;
    private final OpConstraints constraints;

    SourceNode(String identifier, Map<String, String> attrs, OpConstraints constraints) {
        this.identifier = identifier;
        this.attrs = Map.copyOf(attrs);
        this.constraints = constraints;
    }

    @Override
    public List<NodeOutput> inputsInVisitOrder() {
        return List.of();
    }

    @Override
    public MarshalledOp marshal(DefinitionWriter writer) {
        Map<String, String> finalAttrs = new TreeMap<>(attrs);
        OpConstraints finalConstraints = constraints;
        String uniqueId = writer.options().localUniqueId();
        if (identifier.startsWith("local://") && !attrs.containsKey(LOCAL_SESSION) && uniqueId != null) {
            finalAttrs.put(LOCAL_UNIQUE, uniqueId);
            finalConstraints = constraints.withCaps(Caps.SOURCE_LOCAL_UNIQUE);
        }
        // Only images (and OCI layouts) differ by platform; other sources carry none, as in BuildKit.
        boolean platformSpecific = identifier.startsWith("docker-image://") || identifier.startsWith("oci-layout://");
        Platform platform = !platformSpecific
                ? null
                : constraints.platform() != null
                        ? constraints.platform()
                        : writer.options().defaultPlatform();
        Op op = finalConstraints
                .newOp(platform)
                .setSource(SourceOp.newBuilder().setIdentifier(identifier).putAllAttrs(finalAttrs))
                .build();
        return DefinitionWriter.finish(op, finalConstraints);
    }

    @Override
    public Platform outputPlatform() {
        return constraints.platform();
    }

    @Override
    public String toString() {
        return "source " + identifier;
    }
}
