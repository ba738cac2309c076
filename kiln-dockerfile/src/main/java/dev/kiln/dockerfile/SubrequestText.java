package dev.kiln.dockerfile;

import dev.kiln.core.SourceFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The text renderings of subrequest answers ({@code result.txt}), as BuildKit's printers write them: tables
 * aligned with spaces (Go's tabwriter with padding and no tab stops), and warnings with the Dockerfile lines they
 * point at.
 */
final class SubrequestText {

    private SubrequestText() {}

    /**
     * Rows whose cells but the last are padded to their column's widest cell plus {@code padding} spaces; the
     * last cell of a row is not aligned, as in Go's tabwriter.
     */
    static String table(List<List<String>> rows, int padding) {
        List<Integer> widths = new ArrayList<>();
        for (List<String> row : rows) {
            for (int i = 0; i < row.size() - 1; i++) {
                int width = row.get(i).codePointCount(0, row.get(i).length());
                if (i == widths.size()) {
                    widths.add(width);
                } else {
                    widths.set(i, Math.max(widths.get(i), width));
                }
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                String cell = row.get(i);
                out.append(cell);
                if (i < row.size() - 1) {
                    out.append(" ".repeat(widths.get(i) + padding - cell.codePointCount(0, cell.length())));
                }
            }
            out.append('\n');
        }
        return out.toString();
    }

    /**
     * Lines {@code start}..{@code end} of the Dockerfile with a little context around them, marked with
     * {@code >>>}, under the file name and the first marked line (BuildKit's errdefs.Source.Print).
     */
    static String source(String filename, byte[] data, int start, int end) {
        int last = Math.max(start, end);
        return SourceFrame.draw(
                filename,
                new String(data, StandardCharsets.UTF_8).split("\n", -1),
                start,
                end,
                line -> line >= start && line <= last,
                line -> line);
    }
}
