package dev.kiln.llb;

import dev.kiln.llb.pb.MergeInput;
import dev.kiln.llb.pb.MergeOp;
import dev.kiln.llb.pb.Op;
import java.util.List;

/** A merge op: its inputs' filesystems layered in order, later ones on top. */
final class MergeNode implements Node {

    private final List<NodeOutput> inputs;
    private final OpConstraints constraints;

    MergeNode(List<NodeOutput> inputs, OpConstraints constraints) {
        this.inputs = List.copyOf(inputs);
        this.constraints = constraints.withCaps(Caps.MERGE_OP);
    }

    @Override
    public List<NodeOutput> inputsInVisitOrder() {
        return inputs;
    }

    @Override
    public MarshalledOp marshal(DefinitionWriter writer) {
        // Every input gets its own edge, repeated or not, as in BuildKit's client.
        Op.Builder op = constraints.newOp(null);
        MergeOp.Builder merge = MergeOp.newBuilder();
        for (NodeOutput input : inputs) {
            merge.addInputs(MergeInput.newBuilder().setInput(op.getInputsCount()));
            op.addInputs(writer.input(input));
        }
        return DefinitionWriter.finish(op.setMerge(merge).build(), constraints);
    }

    @Override
    public String toString() {
        return "merge of " + inputs.size();
    }
}
