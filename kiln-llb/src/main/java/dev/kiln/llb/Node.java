package dev.kiln.llb;

import dev.kiln.core.Platform;
import java.util.List;

/**
 * An op in the making, behind a {@link State}. Nodes are compared by identity: two states share
 * an op only when one was built from the other, and equal ops merge by digest when marshalled.
 */
sealed interface Node permits SourceNode, ExecNode, FileNode, MergeNode, DiffNode, DecodedNode {

    /** The outputs this op reads, in the order BuildKit's client visits them when laying out a definition. */
    List<NodeOutput> inputsInVisitOrder();

    /** Marshals this op; {@code writer} has already marshalled every input. */
    MarshalledOp marshal(DefinitionWriter writer);

    /**
     * The platform a state built on this op's output takes, or null to keep the state's: ops that only combine or
     * change files (file, merge, diff) have none of their own.
     */
    default Platform outputPlatform() {
        return null;
    }
}
