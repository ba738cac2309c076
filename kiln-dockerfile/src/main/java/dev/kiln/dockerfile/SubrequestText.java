package dev.kiln.dockerfile;

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
        String[] lines = new String(data, StandardCharsets.UTF_8).split("\n", -1);
        if (start < 1 || start > lines.length) {
            return "";
        }
        int last = Math.min(Math.max(start, end), lines.length);
        int first = start;
        int shown = last;
        // four lines of context around a single line, two around a range, taken from both sides while there are any
        int pad = last == start ? 4 : 2;
        int padded = 0;
        while (padded < pad) {
            if (first > 1) {
                first--;
                padded++;
            }
            if (shown != lines.length) {
                shown++;
                padded++;
            }
            padded++;
        }
        StringBuilder out = new StringBuilder();
        out.append(filename).append(':').append(start).append("\n--------------------\n");
        for (int line = first; line <= shown; line++) {
            String marker = line >= start && line <= last ? ">>>" : "   ";
            out.append(String.format(" %3d | %s %s", line, marker, lines[line - 1]))
                    .append('\n');
        }
        return out.append("--------------------\n").toString();
    }
}
