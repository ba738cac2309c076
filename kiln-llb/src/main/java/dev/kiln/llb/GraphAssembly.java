package dev.kiln.llb;

import com.google.protobuf.ByteString;
import dev.kiln.core.Digest;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.FileAction;
import dev.kiln.llb.pb.Input;
import dev.kiln.llb.pb.Location;
import dev.kiln.llb.pb.Locations;
import dev.kiln.llb.pb.Mount;
import dev.kiln.llb.pb.MountType;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.OpMetadata;
import dev.kiln.llb.pb.Source;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Turns parsed ops into a validated {@link LlbGraph}. Separate from the byte parsing so that the
 * checks can be fed digests that no sha256 could produce (a cycle needs two ops that name each
 * other's digest, which hashing makes impossible to construct from real bytes).
 */
final class GraphAssembly {

    /** An op as it appeared in the definition, with the digest that names it. */
    record RawOp(int position, Digest digest, Op op, ByteString bytes) {

        String label() {
            return "op #" + position + " (" + digest + ")";
        }
    }

    private GraphAssembly() {}

    static LlbGraph assemble(List<RawOp> ops, Map<String, OpMetadata> metadata, Source source) {
        if (ops.isEmpty()) {
            return new LlbGraph(List.of(), null, source);
        }
        RawOp terminal = ops.getLast();
        if (OpKind.of(terminal.op()).isPresent() || terminal.op().getInputsCount() != 1) {
            throw new LlbException(terminal.label() + " is the last op of the definition, so it must be the terminal op"
                    + " with no op body and exactly one input (the output), but it has "
                    + OpKind.of(terminal.op())
                            .map(k -> "a " + k.name().toLowerCase(java.util.Locale.ROOT) + " body and ")
                            .orElse("")
                    + terminal.op().getInputsCount() + " inputs");
        }

        Map<Digest, RawOp> unique = new LinkedHashMap<>();
        for (RawOp op : ops.subList(0, ops.size() - 1)) {
            if (OpKind.of(op.op()).isEmpty()) {
                throw new LlbException(op.label() + " has no op kind (exec, source, file, build, merge, diff)"
                        + " and only the last op of a definition may be without one");
            }
            unique.putIfAbsent(op.digest(), op);
        }

        Map<Digest, List<Digest>> edges = new HashMap<>();
        for (RawOp op : unique.values()) {
            edges.put(op.digest(), resolveInputs(op, op.op().getInputsList(), unique));
            checkInternalReferences(op);
        }
        Digest outputDigest =
                resolveInputs(terminal, terminal.op().getInputsList(), unique).getFirst();

        List<RawOp> order = topologicalOrder(unique, edges);
        Map<Digest, LlbVertex> built = new HashMap<>();
        List<LlbVertex> vertices = new ArrayList<>(order.size());
        for (RawOp op : order) {
            List<LlbEdge> inputs = new ArrayList<>(op.op().getInputsCount());
            for (Input input : op.op().getInputsList()) {
                inputs.add(new LlbEdge(built.get(Digest.parse(input.getDigest())), (int) input.getIndex()));
            }
            LlbVertex vertex = new LlbVertex(
                    op.digest(),
                    op.op(),
                    metadata.getOrDefault(op.digest().toString(), OpMetadata.getDefaultInstance()),
                    inputs,
                    op.bytes());
            built.put(op.digest(), vertex);
            vertices.add(vertex);
        }
        checkSourceLocations(source);
        LlbEdge output = new LlbEdge(
                built.get(outputDigest), (int) terminal.op().getInputs(0).getIndex());
        return new LlbGraph(vertices, output, source);
    }

    private static List<Digest> resolveInputs(RawOp op, List<Input> inputs, Map<Digest, RawOp> ops) {
        List<Digest> digests = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            Input input = inputs.get(i);
            Digest digest;
            try {
                digest = Digest.parse(input.getDigest());
            } catch (IllegalArgumentException e) {
                throw new LlbException(op.label() + ": input " + i + " has " + e.getMessage(), e);
            }
            RawOp target = ops.get(digest);
            if (target == null) {
                throw new LlbException(
                        op.label() + ": input " + i + " refers to " + digest + ", which is not in the definition");
            }
            TreeSet<Long> outputs = outputsOf(target.op());
            if (!outputs.contains(input.getIndex())) {
                throw new LlbException(op.label() + ": input " + i + " asks for output " + input.getIndex() + " of "
                        + target.label() + ", a "
                        + OpKind.of(target.op()).orElseThrow().name().toLowerCase(java.util.Locale.ROOT)
                        + " op with " + (outputs.isEmpty() ? "no outputs" : "outputs " + outputs));
            }
            digests.add(digest);
        }
        return digests;
    }

    /** The output indexes an op produces. */
    static TreeSet<Long> outputsOf(Op op) {
        TreeSet<Long> outputs = new TreeSet<>();
        switch (op.getOpCase()) {
            case EXEC -> {
                for (Mount mount : op.getExec().getMountsList()) {
                    if (mount.getMountType() == MountType.BIND && mount.getOutput() >= 0) {
                        outputs.add(mount.getOutput());
                    }
                }
            }
            case FILE -> {
                for (FileAction action : op.getFile().getActionsList()) {
                    if (action.getOutput() >= 0) {
                        outputs.add(action.getOutput());
                    }
                }
            }
            case PASSTHROUGH -> {
                for (long i = 0; i < op.getPassthrough().getOutputsCount(); i++) {
                    outputs.add(i);
                }
            }
            case SOURCE, BUILD, MERGE, DIFF -> outputs.add(0L);
            case OP_NOT_SET -> {}
        }
        return outputs;
    }

    /** Indexes inside an op body point into its inputs (or, in a file op, at earlier actions). */
    private static void checkInternalReferences(RawOp raw) {
        Op op = raw.op();
        int inputs = op.getInputsCount();
        switch (op.getOpCase()) {
            case EXEC -> {
                ExecOp exec = op.getExec();
                if (exec.getMeta().getArgsCount() == 0) {
                    throw new LlbException(raw.label() + ": exec op has no arguments to run");
                }
                for (Mount mount : exec.getMountsList()) {
                    checkIndex(raw, "mount " + mount.getDest() + " input", mount.getInput(), -1, inputs);
                }
            }
            case FILE -> {
                List<FileAction> actions = op.getFile().getActionsList();
                if (actions.isEmpty()) {
                    throw new LlbException(raw.label() + ": file op has no actions");
                }
                for (int i = 0; i < actions.size(); i++) {
                    FileAction action = actions.get(i);
                    if (action.getActionCase() == FileAction.ActionCase.ACTION_NOT_SET) {
                        throw new LlbException(raw.label() + ": file action " + i
                                + " has no action (copy, mkfile, mkdir, rm, symlink)");
                    }
                    // Past the op's inputs, an index names the result of an earlier action.
                    checkIndex(raw, "file action " + i + " input", action.getInput(), -1, inputs + i);
                    checkIndex(
                            raw, "file action " + i + " secondary input", action.getSecondaryInput(), -1, inputs + i);
                }
            }
            case MERGE -> {
                if (op.getMerge().getInputsCount() == 0) {
                    throw new LlbException(raw.label() + ": merge op has no inputs");
                }
                for (var input : op.getMerge().getInputsList()) {
                    checkIndex(raw, "merge input", input.getInput(), 0, inputs);
                }
            }
            case DIFF -> {
                checkIndex(raw, "diff lower", op.getDiff().getLower().getInput(), -1, inputs);
                checkIndex(raw, "diff upper", op.getDiff().getUpper().getInput(), -1, inputs);
            }
            case SOURCE -> {
                if (op.getSource().getIdentifier().isEmpty()) {
                    throw new LlbException(raw.label() + ": source op has an empty identifier");
                }
            }
            case PASSTHROUGH -> {
                for (long output : op.getPassthrough().getOutputsList()) {
                    checkIndex(raw, "passthrough output", output, 0, inputs);
                }
            }
            case BUILD -> {
                for (var entry : op.getBuild().getInputsMap().entrySet()) {
                    checkIndex(
                            raw,
                            "build input " + entry.getKey(),
                            entry.getValue().getInput(),
                            0,
                            inputs);
                }
            }
            case OP_NOT_SET -> throw new IllegalStateException("ops without a kind were rejected before");
        }
    }

    private static void checkIndex(RawOp op, String what, long index, long lowest, long limit) {
        if (index < lowest || index >= limit) {
            throw new LlbException(op.label() + ": " + what + " is " + index + ", "
                    + (limit <= 0
                            ? "but the op has no inputs"
                            : "outside the valid range [" + lowest + ", " + (limit - 1) + "]"));
        }
    }

    /** Depth-first post-order in definition order: a definition already in order stays in it. */
    private static List<RawOp> topologicalOrder(Map<Digest, RawOp> ops, Map<Digest, List<Digest>> edges) {
        Map<Digest, Boolean> finished = new HashMap<>(); // false while on the stack, true when done
        List<RawOp> order = new ArrayList<>(ops.size());
        for (Digest root : ops.keySet()) {
            if (finished.containsKey(root)) {
                continue;
            }
            Deque<Digest> path = new ArrayDeque<>();
            Deque<Integer> nextInput = new ArrayDeque<>();
            path.push(root);
            nextInput.push(0);
            finished.put(root, false);
            while (!path.isEmpty()) {
                Digest current = path.peek();
                List<Digest> inputs = edges.get(current);
                int next = nextInput.pop();
                if (next == inputs.size()) {
                    path.pop();
                    finished.put(current, true);
                    order.add(ops.get(current));
                    continue;
                }
                nextInput.push(next + 1);
                Digest input = inputs.get(next);
                Boolean state = finished.get(input);
                if (state == null) {
                    finished.put(input, false);
                    path.push(input);
                    nextInput.push(0);
                } else if (!state) {
                    throw new LlbException(ops.get(current).label() + " is part of a cycle: " + cycle(path, input));
                }
            }
        }
        return order;
    }

    private static String cycle(Deque<Digest> path, Digest repeated) {
        List<Digest> fromRoot = new ArrayList<>(path);
        java.util.Collections.reverse(fromRoot);
        List<Digest> loop = new ArrayList<>(fromRoot.subList(fromRoot.indexOf(repeated), fromRoot.size()));
        loop.add(repeated);
        return loop.stream().map(Digest::toString).collect(Collectors.joining(" -> "));
    }

    private static void checkSourceLocations(Source source) {
        for (Map.Entry<String, Locations> entry : source.getLocationsMap().entrySet()) {
            for (Location location : entry.getValue().getLocationsList()) {
                if (location.getSourceIndex() < 0 || location.getSourceIndex() >= source.getInfosCount()) {
                    throw new LlbException("source location of " + entry.getKey() + " refers to source file #"
                            + location.getSourceIndex() + " but the definition has " + source.getInfosCount());
                }
            }
        }
    }
}
