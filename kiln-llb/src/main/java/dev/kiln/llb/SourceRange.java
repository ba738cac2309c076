package dev.kiln.llb;

import dev.kiln.llb.pb.Position;
import dev.kiln.llb.pb.Range;

/** A span of a source file; lines count from 1 as editors show them. */
public record SourceRange(int startLine, int startCharacter, int endLine, int endCharacter) {

    public SourceRange {
        if (startLine < 0 || endLine < startLine) {
            throw new IllegalArgumentException("invalid source range: lines " + startLine + " to " + endLine);
        }
    }

    /** Whole lines {@code start} to {@code end}. */
    public static SourceRange lines(int start, int end) {
        return new SourceRange(start, 0, end, 0);
    }

    Range toProto() {
        return Range.newBuilder()
                .setStart(Position.newBuilder().setLine(startLine).setCharacter(startCharacter))
                .setEnd(Position.newBuilder().setLine(endLine).setCharacter(endCharacter))
                .build();
    }
}
