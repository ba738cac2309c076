package dev.kiln.llb;

import com.google.protobuf.ByteString;
import dev.kiln.core.Digest;
import dev.kiln.llb.pb.FileAction;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.OpMetadata;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One op of a decoded graph.
 *
 * @param digest sha256 of {@code encoded}: the op's name everywhere (cache, metadata, progress)
 * @param op the decoded op
 * @param metadata the definition's metadata for this op, or the default instance
 * @param inputs the op's inputs, in the order of {@code op.getInputsList()}
 * @param encoded the op's bytes exactly as they came, so that re-encoding keeps the digest
 */
public record LlbVertex(Digest digest, Op op, OpMetadata metadata, List<LlbEdge> inputs, ByteString encoded) {

    /** The description key BuildKit's clients use for a vertex's display name. */
    public static final String CUSTOM_NAME = "llb.customname";

    /** How many levels of nested merges and diffs a summary names (see {@link #name(int)}). */
    private static final int NAMED_LEVELS = 4;

    public LlbVertex {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(encoded, "encoded");
        inputs = List.copyOf(inputs);
        if (OpKind.of(op).isEmpty()) {
            throw new IllegalArgumentException("vertex " + digest + " has no op kind");
        }
    }

    public OpKind kind() {
        return OpKind.of(op).orElseThrow();
    }

    /**
     * What progress output calls this vertex: the custom name the client gave it, or a summary of
     * the op in BuildKit's words (the source identifier, the exec's arguments, the file actions).
     */
    public String name() {
        return name(NAMED_LEVELS);
    }

    /**
     * The name, with merges and diffs that have no custom name summarised by their inputs' names only
     * {@code levels} deep. BuildKit nests them without end; a chain of ten thousand merges would then recurse ten
     * thousand calls deep (past the thread's stack) to build a name ten thousand names long.
     */
    private String name(int levels) {
        String custom = metadata.getDescriptionMap().get(CUSTOM_NAME);
        return custom != null ? custom : summary(levels);
    }

    /**
     * The output indexes this op produces: one per writable bind mount of an exec, the declared
     * action outputs of a file op, one per forwarded input of a passthrough, else just 0.
     */
    public java.util.SortedSet<Long> outputs() {
        return java.util.Collections.unmodifiableSortedSet(GraphAssembly.outputsOf(op));
    }

    public boolean ignoreCache() {
        return metadata.getIgnoreCache();
    }

    private String summary(int levels) {
        if (levels == 0 && (kind() == OpKind.MERGE || kind() == OpKind.DIFF)) {
            return kind() == OpKind.MERGE ? "merge (...)" : "diff ...";
        }
        return switch (kind()) {
            case SOURCE -> op.getSource().getIdentifier();
            case EXEC -> String.join(" ", op.getExec().getMeta().getArgsList());
            case FILE ->
                op.getFile().getActionsList().stream()
                        .map(LlbVertex::actionSummary)
                        .collect(Collectors.joining(", "));
            case BUILD -> "build";
            case MERGE ->
                inputs.stream()
                        .map(edge -> edge.vertex().name(levels - 1))
                        .collect(Collectors.joining(", ", "merge (", ")"));
            case DIFF ->
                "diff " + sideName(op.getDiff().getLower().getInput(), levels) + " -> "
                        + sideName(op.getDiff().getUpper().getInput(), levels);
            case PASSTHROUGH -> "passthrough " + op.getPassthrough().getId();
        };
    }

    private String sideName(long input, int levels) {
        return input < 0 || input >= inputs.size()
                ? "scratch"
                : inputs.get((int) input).vertex().name(levels - 1);
    }

    private static String actionSummary(FileAction action) {
        return switch (action.getActionCase()) {
            case MKDIR -> "mkdir " + action.getMkdir().getPath();
            case MKFILE -> "mkfile " + action.getMkfile().getPath();
            case SYMLINK ->
                "symlink " + action.getSymlink().getNewpath() + " -> "
                        + action.getSymlink().getOldpath();
            case RM -> "rm " + action.getRm().getPath();
            case COPY ->
                "copy " + action.getCopy().getSrc() + " " + action.getCopy().getDest();
            case ACTION_NOT_SET -> "";
        };
    }

    @Override
    public String toString() {
        return kind().name().toLowerCase(java.util.Locale.ROOT) + " " + digest + " \"" + name() + "\"";
    }
}
