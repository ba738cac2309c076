package dev.kiln.llb;

import dev.kiln.llb.pb.FileOp;
import dev.kiln.llb.pb.Input;
import dev.kiln.llb.pb.Op;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A file op: actions applied one after the other to {@code base}. The first action reads the base
 * input; each later one reads the result of the one before, which BuildKit numbers after the op's
 * real inputs. Only the last action's result is an output.
 */
final class FileNode implements Node {

    private final State base;
    private final List<FileStep> steps;
    private final OpConstraints constraints;

    FileNode(State base, List<FileStep> steps, OpConstraints constraints) {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a file op needs at least one action");
        }
        this.base = base;
        this.steps = List.copyOf(steps);
        // BuildKit's client only ever records file.base (its per-action caps are computed too early to land).
        this.constraints = constraints.withCaps(Caps.FILE_BASE);
    }

    @Override
    public List<NodeOutput> inputsInVisitOrder() {
        Set<NodeOutput> order = new LinkedHashSet<>();
        if (base.output() != null) {
            order.add(base.output());
        }
        for (FileStep step : steps.reversed()) {
            if (step instanceof FileStep.Copy copy && copy.source().output() != null) {
                order.add(copy.source().output());
            }
        }
        return List.copyOf(order);
    }

    @Override
    public MarshalledOp marshal(DefinitionWriter writer) {
        List<Input> inputs = new ArrayList<>();
        long baseIndex = base.output() == null ? -1 : indexOf(inputs, writer.input(base.output()));
        long[] secondary = new long[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            secondary[i] =
                    steps.get(i) instanceof FileStep.Copy copy && copy.source().output() != null
                            ? indexOf(inputs, writer.input(copy.source().output()))
                            : -1;
        }
        FileOp.Builder file = FileOp.newBuilder();
        for (int i = 0; i < steps.size(); i++) {
            dev.kiln.llb.pb.FileAction.Builder action = dev.kiln.llb.pb.FileAction.newBuilder()
                    .setInput(i == 0 ? baseIndex : inputs.size() + i - 1)
                    .setSecondaryInput(secondary[i])
                    .setOutput(i == steps.size() - 1 ? 0 : -1);
            steps.get(i).writeTo(action, base.getDir(), baseIndex);
            file.addActions(action);
        }
        Op op = constraints.newOp(null).addAllInputs(inputs).setFile(file).build();
        return DefinitionWriter.finish(op, constraints);
    }

    private static long indexOf(List<Input> inputs, Input input) {
        int found = inputs.indexOf(input);
        if (found >= 0) {
            return found;
        }
        inputs.add(input);
        return inputs.size() - 1;
    }

    @Override
    public String toString() {
        return "file " + steps;
    }
}
