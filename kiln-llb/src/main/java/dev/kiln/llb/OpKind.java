package dev.kiln.llb;

import dev.kiln.llb.pb.Op;
import java.util.Optional;

/** What a vertex does: the case set in {@code Op.op}. */
public enum OpKind {
    EXEC,
    SOURCE,
    FILE,
    BUILD,
    MERGE,
    DIFF,
    PASSTHROUGH;

    /** The kind of {@code op}, or empty for an op without a body (the terminal op of a definition). */
    public static Optional<OpKind> of(Op op) {
        return switch (op.getOpCase()) {
            case EXEC -> Optional.of(EXEC);
            case SOURCE -> Optional.of(SOURCE);
            case FILE -> Optional.of(FILE);
            case BUILD -> Optional.of(BUILD);
            case MERGE -> Optional.of(MERGE);
            case DIFF -> Optional.of(DIFF);
            case PASSTHROUGH -> Optional.of(PASSTHROUGH);
            case OP_NOT_SET -> Optional.empty();
        };
    }
}
