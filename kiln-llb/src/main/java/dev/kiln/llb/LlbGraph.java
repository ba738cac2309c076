package dev.kiln.llb;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.core.Digest;
import dev.kiln.llb.pb.Definition;
import dev.kiln.llb.pb.Input;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.OpMetadata;
import dev.kiln.llb.pb.Source;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A validated LLB graph: every op of a {@link Definition}, inputs before their users, and the
 * edge the definition asks for.
 *
 * <p>BuildKit's convention: the last entry of {@code Definition.def} is a terminal op with no body
 * and one input, the graph's output. A definition with no ops is the empty filesystem (scratch).
 * Ops that appear twice (same bytes, same digest) are one vertex.
 */
public final class LlbGraph {

    private final List<LlbVertex> vertices;
    private final Map<Digest, LlbVertex> byDigest;
    private final LlbEdge output;
    private final Source source;

    LlbGraph(List<LlbVertex> vertices, LlbEdge output, Source source) {
        this.vertices = List.copyOf(vertices);
        Map<Digest, LlbVertex> index = new LinkedHashMap<>();
        for (LlbVertex vertex : this.vertices) {
            index.put(vertex.digest(), vertex);
        }
        this.byDigest = index;
        this.output = output;
        this.source = Objects.requireNonNull(source, "source");
    }

    /**
     * Makes a value for {@code root} and for every vertex below it that {@code made} does not hold yet, inputs
     * before the vertices that read them and each once, and puts each in {@code made}, where {@code make} finds
     * the values of a vertex's inputs. The walk keeps its own stack rather than recursing: a chain of steps is as
     * deep as it is long, and ten thousand steps would overflow the thread's stack.
     */
    public static <T> T inputsFirst(LlbVertex root, Map<LlbVertex, T> made, Function<LlbVertex, T> make) {
        Deque<LlbVertex> pending = new ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            LlbVertex next = pending.peek();
            if (made.containsKey(next)) {
                pending.pop();
                continue;
            }
            boolean inputsMade = true;
            for (LlbEdge edge : next.inputs()) {
                if (!made.containsKey(edge.vertex())) {
                    // Decoded graphs are acyclic (decode checks), so every push leads closer to a source.
                    pending.push(edge.vertex());
                    inputsMade = false;
                }
            }
            if (inputsMade) {
                pending.pop();
                made.put(next, make.apply(next));
            }
        }
        return made.get(root);
    }

    /** Decodes and validates a marshalled {@link Definition}. */
    public static LlbGraph decode(byte[] definition) {
        try {
            return decode(Definition.parseFrom(definition));
        } catch (InvalidProtocolBufferException e) {
            throw new LlbException("definition is not a valid protobuf: " + e.getMessage(), e);
        }
    }

    /**
     * Decodes and validates {@code definition}.
     *
     * @throws LlbException naming the op (its position in {@code def} and its digest) and the problem:
     *     bytes that are not an op, an op without a kind, an input that is not in the definition or
     *     asks for an output its op does not have, an index inside an op that points nowhere, a cycle
     */
    public static LlbGraph decode(Definition definition) {
        List<GraphAssembly.RawOp> ops = new ArrayList<>(definition.getDefCount());
        for (int i = 0; i < definition.getDefCount(); i++) {
            ByteString bytes = definition.getDef(i);
            Digest digest = Digest.sha256(bytes.asReadOnlyByteBuffer());
            Op op;
            try {
                op = Op.parseFrom(bytes);
            } catch (InvalidProtocolBufferException e) {
                throw new LlbException(
                        "op #" + i + " (" + digest + ") is not a valid protobuf op: " + e.getMessage(), e);
            }
            ops.add(new GraphAssembly.RawOp(i, digest, op, bytes));
        }
        return GraphAssembly.assemble(
                ops,
                definition.getMetadataMap(),
                definition.hasSource() ? definition.getSource() : Source.getDefaultInstance());
    }

    /** The definition of this graph: the vertices' original bytes, then the terminal op. */
    public Definition encode() {
        Definition.Builder definition = Definition.newBuilder();
        for (LlbVertex vertex : vertices) {
            definition.addDef(vertex.encoded());
            if (!vertex.metadata().equals(OpMetadata.getDefaultInstance())) {
                definition.putMetadata(vertex.digest().toString(), vertex.metadata());
            }
        }
        if (output != null) {
            Op terminal = Op.newBuilder()
                    .addInputs(Input.newBuilder()
                            .setDigest(output.vertex().digest().toString())
                            .setIndex(output.index()))
                    .build();
            definition.addDef(ByteString.copyFrom(Ops.marshal(terminal)));
        }
        if (!source.equals(Source.getDefaultInstance())) {
            definition.setSource(source);
        }
        return definition.build();
    }

    /** Every vertex, each after all of its inputs. */
    public List<LlbVertex> vertices() {
        return vertices;
    }

    /** The requested result, or empty when the definition is scratch. */
    public Optional<LlbEdge> output() {
        return Optional.ofNullable(output);
    }

    public Optional<LlbVertex> vertex(Digest digest) {
        return Optional.ofNullable(byDigest.get(digest));
    }

    /** Source files and the ranges in them that produced each op (keyed by op digest). */
    public Source source() {
        return source;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LlbGraph other
                && vertices.equals(other.vertices)
                && Objects.equals(output, other.output)
                && source.equals(other.source);
    }

    @Override
    public int hashCode() {
        return Objects.hash(vertices, output, source);
    }

    @Override
    public String toString() {
        return "LlbGraph[" + vertices.size() + " vertices, output " + (output == null ? "scratch" : output) + "]";
    }
}
