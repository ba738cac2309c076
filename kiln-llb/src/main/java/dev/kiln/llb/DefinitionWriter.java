package dev.kiln.llb;

import com.google.protobuf.ByteString;
import dev.kiln.core.Digest;
import dev.kiln.llb.pb.Definition;
import dev.kiln.llb.pb.ExportCache;
import dev.kiln.llb.pb.Input;
import dev.kiln.llb.pb.Location;
import dev.kiln.llb.pb.Locations;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.OpMetadata;
import dev.kiln.llb.pb.Source;
import dev.kiln.llb.pb.SourceInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lays a graph out as a {@link Definition} the way BuildKit's client does: depth first, inputs
 * before their users, each digest once, metadata per digest, then the terminal op.
 */
final class DefinitionWriter {

    private final MarshalOptions options;
    private final Map<Node, MarshalledOp> marshalled = new IdentityHashMap<>();

    DefinitionWriter(MarshalOptions options) {
        this.options = options;
    }

    MarshalOptions options() {
        return options;
    }

    /** The edge to {@code output}, whose node must be marshalled already. */
    Input input(NodeOutput output) {
        MarshalledOp op = marshalled.get(output.node());
        if (op == null) {
            throw new IllegalStateException("input marshalled after its user: " + output.node());
        }
        return Input.newBuilder()
                .setDigest(op.digest().toString())
                .setIndex(output.index())
                .build();
    }

    static MarshalledOp finish(Op op, OpConstraints constraints) {
        byte[] bytes = Ops.marshal(op);
        return new MarshalledOp(Digest.sha256(bytes), bytes, constraints.metadata(), constraints.locations());
    }

    Definition write(NodeOutput output) {
        if (output == null) {
            return Definition.getDefaultInstance();
        }
        Map<Digest, byte[]> defs = new LinkedHashMap<>();
        Map<Digest, OpMetadata> metadata = new LinkedHashMap<>();
        SourceCollector sources = new SourceCollector();

        // Iterative post-order so that a deep chain of steps cannot overflow the stack.
        Set<Node> entered = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Node> nodes = new ArrayDeque<>();
        Deque<Iterator<NodeOutput>> pending = new ArrayDeque<>();
        entered.add(output.node());
        nodes.push(output.node());
        pending.push(output.node().inputsInVisitOrder().iterator());
        while (!nodes.isEmpty()) {
            Iterator<NodeOutput> inputs = pending.peek();
            if (inputs.hasNext()) {
                Node input = inputs.next().node();
                if (entered.add(input)) {
                    nodes.push(input);
                    pending.push(input.inputsInVisitOrder().iterator());
                }
                continue;
            }
            pending.pop();
            Node node = nodes.pop();
            MarshalledOp op = node.marshal(this);
            marshalled.put(node, op);
            metadata.merge(op.digest(), op.metadata(), DefinitionWriter::mergeMetadata);
            sources.add(op.digest(), op.locations());
            defs.putIfAbsent(op.digest(), op.bytes());
        }

        Definition.Builder definition = Definition.newBuilder();
        defs.values().forEach(bytes -> definition.addDef(ByteString.copyFrom(bytes)));
        metadata.forEach((digest, md) -> definition.putMetadata(digest.toString(), md));

        Op terminal = Op.newBuilder().addInputs(input(output)).build();
        byte[] terminalBytes = Ops.marshal(terminal);
        definition.addDef(ByteString.copyFrom(terminalBytes));
        definition.putMetadata(Digest.sha256(terminalBytes).toString(), terminalMetadata(metadata.values()));
        definition.setSource(sources.toProto());
        return definition.build();
    }

    /** BuildKit's client names on the terminal op the metadata features the other ops use. */
    private static OpMetadata terminalMetadata(Iterable<OpMetadata> all) {
        OpMetadata.Builder terminal =
                OpMetadata.newBuilder().putCaps(Caps.CONSTRAINTS, true).putCaps(Caps.PLATFORM, true);
        for (OpMetadata md : all) {
            if (md.getIgnoreCache()) {
                terminal.putCaps(Caps.META_IGNORE_CACHE, true);
            }
            if (md.getDescriptionCount() > 0) {
                terminal.putCaps(Caps.META_DESCRIPTION, true);
            }
            if (md.hasExportCache()) {
                terminal.putCaps(Caps.META_EXPORT_CACHE, true);
            }
        }
        return terminal.build();
    }

    /** Two vertices with one digest: their metadata adds up, as in BuildKit's {@code mergeMetadata}. */
    private static OpMetadata mergeMetadata(OpMetadata first, OpMetadata second) {
        OpMetadata.Builder merged = first.toBuilder();
        if (second.getIgnoreCache()) {
            merged.setIgnoreCache(true);
        }
        merged.putAllDescription(second.getDescriptionMap());
        if (second.hasExportCache()) {
            merged.setExportCache(ExportCache.newBuilder(second.getExportCache()));
        }
        second.getCapsMap().keySet().forEach(cap -> merged.putCaps(cap, true));
        if (second.hasProgressGroup()) {
            merged.setProgressGroup(second.getProgressGroup());
        }
        if (second.hasLinuxResources()) {
            merged.setLinuxResources(second.getLinuxResources());
        }
        return merged.build();
    }

    /** Source files in order of first use, and each op's locations in them. */
    private static final class SourceCollector {

        private final List<SourceMap> maps = new ArrayList<>();
        private final Map<Digest, List<Location>> locations = new LinkedHashMap<>();

        void add(Digest digest, List<SourceLocation> found) {
            for (SourceLocation location : found) {
                int index = maps.indexOf(location.sourceMap());
                if (index < 0) {
                    index = maps.size();
                    maps.add(location.sourceMap());
                }
                Location.Builder proto = Location.newBuilder().setSourceIndex(index);
                location.ranges().forEach(range -> proto.addRanges(range.toProto()));
                locations.computeIfAbsent(digest, d -> new ArrayList<>()).add(proto.build());
            }
        }

        Source toProto() {
            Source.Builder source = Source.newBuilder();
            for (SourceMap map : maps) {
                SourceInfo.Builder info = SourceInfo.newBuilder()
                        .setFilename(map.filename())
                        .setLanguage(map.language())
                        .setData(ByteString.copyFrom(map.data()));
                if (map.definition() != null) {
                    info.setDefinition(map.definition());
                }
                source.addInfos(info);
            }
            locations.forEach((digest, list) -> source.putLocations(
                    digest.toString(),
                    Locations.newBuilder().addAllLocations(list).build()));
            return source.build();
        }
    }
}
