package dev.kiln.llb;

import java.util.List;
import java.util.Objects;

/** An op option: the ranges of a source file that made this op. */
public record SourceLocation(SourceMap sourceMap, List<SourceRange> ranges) implements OpOption {

    public SourceLocation {
        Objects.requireNonNull(sourceMap, "sourceMap");
        ranges = List.copyOf(ranges);
    }
}
