package dev.kiln.engine.gateway;

import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.pb.Location;
import dev.kiln.llb.pb.Locations;
import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import dev.kiln.solver.ShortText;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Where in its source file (a Dockerfile) a failed op came from, as the definition's source map tells it: the
 * file and line, then the lines themselves, each quoted short, as BuildKit prints "Dockerfile:2" and the lines
 * under an error. A step written on a 5 MB line is then named by its line number and its beginning.
 */
final class FailedSource {

    /** Lines of one range shown at most: the start of a long instruction says which one it is. */
    private static final int MAX_LINES = 5;

    private FailedSource() {}

    /** The location text of the op {@code digest} in the first of {@code graphs} that maps it, if any does. */
    static Optional<String> describe(String digest, List<LlbGraph> graphs) {
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
            return Optional.of(text(graph.source().getInfos(location.getSourceIndex()), location.getRanges(0)));
        }
        return Optional.empty();
    }

    private static String text(SourceInfo info, Range range) {
        int first = range.getStart().getLine();
        int last = Math.max(first, range.getEnd().getLine());
        StringBuilder out = new StringBuilder(info.getFilename()).append(':').append(first);
        String[] lines = info.getData().toString(StandardCharsets.UTF_8).split("\n", -1);
        for (int line = first; line <= last && line <= lines.length && line - first < MAX_LINES; line++) {
            if (line >= 1) {
                out.append("\n>>> ").append(ShortText.of(lines[line - 1].stripTrailing()));
            }
        }
        if (last - first >= MAX_LINES) {
            out.append("\n>>> … (").append(last - first + 1 - MAX_LINES).append(" more lines)");
        }
        return out.toString();
    }
}
