package dev.kiln.engine.gateway;

import dev.kiln.core.SourceFrame;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.SourceLines;
import dev.kiln.llb.pb.Location;
import dev.kiln.llb.pb.Locations;
import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import dev.kiln.solver.ShortText;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Where in its source file (a Dockerfile) a failed op came from, as the definition's source map tells it: the whole
 * file and the ranges of lines the op was written on. It travels as BuildKit's errdefs.Source, from which a client
 * draws the lines itself, framed, with {@code >>>} on the op's lines ({@link #framed()}, as buildctl prints it).
 */
public record FailedSource(SourceInfo info, List<Range> ranges) {

    public FailedSource {
        ranges = List.copyOf(ranges);
    }

    /**
     * A failed step that knows where in its source file it lies, by its op's source map: the lines with the source
     * info as the definition carried it. The daemon sends it as errdefs.Source; kiln build draws it.
     */
    public interface Located extends SourceFrame.Located {

        /** Where the failure lies, when known. */
        Optional<FailedSource> source();

        @Override
        default Optional<SourceFrame.Lines> lines() {
            return source().flatMap(FailedSource::lines);
        }
    }

    /**
     * Where {@code error} or the first of its causes that knows lies in its source file, if any knows: a failed step
     * by its op's source map, an error in the file itself (a Dockerfile that does not parse) by the lines its frontend
     * names.
     */
    public static Optional<FailedSource> in(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            Optional<FailedSource> source = switch (cause) {
                case Located located -> located.source();
                case SourceFrame.Located located -> located.lines().map(FailedSource::of);
                default -> Optional.empty();
            };
            if (source.isPresent()) {
                return source;
            }
        }
        return Optional.empty();
    }

    /** {@code lines} as BuildKit's frontend sends them: the file, and one range a line. */
    public static FailedSource of(SourceFrame.Lines lines) {
        return new FailedSource(SourceLines.info(lines), SourceLines.eachLine(lines.first(), lines.last()));
    }

    /** Where the op {@code digest} came from, by the first of {@code graphs} whose source map has it, if any does. */
    public static Optional<FailedSource> of(String digest, List<LlbGraph> graphs) {
        for (LlbGraph graph : graphs) {
            Locations locations = graph.source().getLocationsMap().get(digest);
            if (locations == null || locations.getLocationsCount() == 0) {
                continue;
            }
            Location location = locations.getLocations(0);
            if (location.getSourceIndex() < 0
                    || location.getSourceIndex() >= graph.source().getInfosCount()
                    || location.getRangesCount() == 0) {
                continue;
            }
            return Optional.of(
                    new FailedSource(graph.source().getInfos(location.getSourceIndex()), location.getRangesList()));
        }
        return Optional.empty();
    }

    /**
     * The file name and first line, then the lines in a frame, each numbered, those of the ranges marked
     * {@code >>>}, with a few lines of context taken from either side while there are any (BuildKit's
     * errdefs.Source.Print draws the same), each line quoted short: a step written on a 5 MB line is shown by its
     * beginning. Empty when the ranges lie outside the file.
     */
    public String framed() {
        String[] lines = info.getData().toString(StandardCharsets.UTF_8).split("\n", -1);
        return SourceFrame.draw(info.getFilename(), lines, start(), end(), this::marks, ShortText::of);
    }

    /** The lines in plain values; empty when the ranges name no line of a file. */
    Optional<SourceFrame.Lines> lines() {
        if (start() < 1) {
            return Optional.empty();
        }
        return Optional.of(new SourceFrame.Lines(
                info.getFilename(), info.getLanguage(), info.getData().toByteArray(), start(), end()));
    }

    /** The first line of the ranges; 0 when there are none. */
    private int start() {
        return ranges.stream()
                .mapToInt(range -> range.getStart().getLine())
                .min()
                .orElse(0);
    }

    /** The last line of the ranges; 0 when there are none. */
    private int end() {
        return ranges.stream().mapToInt(FailedSource::lastLine).max().orElse(0);
    }

    private boolean marks(int line) {
        return ranges.stream().anyMatch(range -> range.getStart().getLine() <= line && lastLine(range) >= line);
    }

    private static int lastLine(Range range) {
        return Math.max(range.getStart().getLine(), range.getEnd().getLine());
    }
}
