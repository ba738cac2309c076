package dev.kiln.llb;

import dev.kiln.core.Platform;
import dev.kiln.llb.pb.ExportCache;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.OpMetadata;
import dev.kiln.llb.pb.WorkerConstraints;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the {@link OpOption}s of one op add up to, plus the capabilities the op needs.
 *
 * @param platform the op's own platform, or null to take the state's or the marshal default
 * @param exportCache null when the op leaves cache export to the build's configuration
 */
record OpConstraints(
        Platform platform,
        List<String> filters,
        boolean ignoreCache,
        Map<String, String> description,
        Boolean exportCache,
        OpOption.ProgressGroup progressGroup,
        List<SourceLocation> locations,
        Set<String> caps) {

    static final OpConstraints NONE =
            new OpConstraints(null, List.of(), false, Map.of(), null, null, List.of(), Set.of());

    /** Collects the {@link OpOption}s among {@code options}; the last of each kind wins, lists add up. */
    static OpConstraints of(Object... options) {
        Platform platform = null;
        List<String> filters = new ArrayList<>();
        boolean ignoreCache = false;
        Map<String, String> description = new TreeMap<>();
        Boolean exportCache = null;
        OpOption.ProgressGroup progressGroup = null;
        List<SourceLocation> locations = new ArrayList<>();
        for (Object option : options) {
            if (!(option instanceof OpOption opOption)) {
                continue;
            }
            switch (opOption) {
                case OpOption.Description d -> description.putAll(d.fields());
                case OpOption.IgnoreCache ignored -> ignoreCache = true;
                case OpOption.ExportCache e -> exportCache = e.export();
                case OpOption.ProgressGroup g -> progressGroup = g;
                case OpOption.PlatformConstraint p -> platform = p.platform();
                case OpOption.Require r -> filters.addAll(r.filters());
                case SourceLocation l -> locations.add(l);
            }
        }
        return new OpConstraints(
                platform,
                List.copyOf(filters),
                ignoreCache,
                Collections.unmodifiableMap(description),
                exportCache,
                progressGroup,
                List.copyOf(locations),
                Set.of());
    }

    OpConstraints withCaps(String... added) {
        Set<String> all = new TreeSet<>(caps);
        Collections.addAll(all, added);
        return new OpConstraints(
                platform,
                filters,
                ignoreCache,
                description,
                exportCache,
                progressGroup,
                locations,
                Collections.unmodifiableSet(all));
    }

    /**
     * An op with what every op carries in BuildKit's client: its platform (when given) and its
     * worker constraints, which Go always sets, empty or not, so an empty message is on the wire.
     */
    Op.Builder newOp(Platform opPlatform) {
        Op.Builder op =
                Op.newBuilder().setConstraints(WorkerConstraints.newBuilder().addAllFilter(filters));
        if (opPlatform != null) {
            op.setPlatform(PlatformWire.toProto(opPlatform));
        }
        return op;
    }

    OpMetadata metadata() {
        OpMetadata.Builder metadata =
                OpMetadata.newBuilder().setIgnoreCache(ignoreCache).putAllDescription(description);
        if (exportCache != null) {
            metadata.setExportCache(ExportCache.newBuilder().setValue(exportCache));
        }
        if (progressGroup != null) {
            metadata.setProgressGroup(dev.kiln.llb.pb.ProgressGroup.newBuilder()
                    .setId(progressGroup.id())
                    .setName(progressGroup.name())
                    .setWeak(progressGroup.weak()));
        }
        for (String cap : caps) {
            metadata.putCaps(cap, true);
        }
        return metadata.build();
    }
}
