package dev.kiln.llb;

import dev.kiln.llb.pb.DiffOp;
import dev.kiln.llb.pb.LowerDiffInput;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.UpperDiffInput;
import java.util.ArrayList;
import java.util.List;

/** A diff op: what changed from {@code lower} to {@code upper} (null upper: scratch). */
final class DiffNode implements Node {

    private final NodeOutput lower;
    private final NodeOutput upper;
    private final OpConstraints constraints;

    DiffNode(NodeOutput lower, NodeOutput upper, OpConstraints constraints) {
        this.lower = lower;
        this.upper = upper;
        this.constraints = constraints.withCaps(Caps.DIFF_OP);
    }

    @Override
    public List<NodeOutput> inputsInVisitOrder() {
        List<NodeOutput> inputs = new ArrayList<>(2);
        inputs.add(lower);
        if (upper != null) {
            inputs.add(upper);
        }
        return inputs;
    }

    @Override
    public MarshalledOp marshal(DefinitionWriter writer) {
        Op.Builder op = constraints.newOp(null);
        op.addInputs(writer.input(lower));
        DiffOp.Builder diff =
                DiffOp.newBuilder().setLower(LowerDiffInput.newBuilder().setInput(0));
        if (upper == null) {
            diff.setUpper(UpperDiffInput.newBuilder().setInput(-1));
        } else {
            diff.setUpper(UpperDiffInput.newBuilder().setInput(op.getInputsCount()));
            op.addInputs(writer.input(upper));
        }
        return DefinitionWriter.finish(op.setDiff(diff).build(), constraints);
    }

    @Override
    public String toString() {
        return "diff";
    }
}
