package dev.kiln.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Aligns tab-separated text the way buildctl's tables are aligned (Go's text/tabwriter with minimum width 1, tab
 * width 8, padding 1 and tabs as the padding), so that {@code kiln du} and {@code kiln prune} print byte for byte
 * what {@code buildctl du} and {@code buildctl prune} print for the same records.
 *
 * <p>A cell is text ended by a tab; the text after a line's last tab is not a cell and is not aligned. A column is
 * aligned over a block of consecutive lines that all have a cell in it: each of its cells is followed by as many
 * tabs as reach the block's widest cell plus one, rounded up to a multiple of 8. A caller that flushes between
 * parts of its output (buildctl does between a table and its totals) aligns each part with its own call.
 */
final class TabColumns {

    private static final int TAB = 8;

    private TabColumns() {}

    /** {@code text} aligned; its lines end with a newline as they did. */
    static String align(String text) {
        List<String[]> lines = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            lines.add(line.split("\t", -1));
        }
        StringBuilder out = new StringBuilder();
        format(lines, 0, lines.size(), new ArrayList<>(), out);
        return out.toString();
    }

    /** Go's tabwriter.format: finds the blocks of column {@code widths.size()} among lines [from, to). */
    private static void format(List<String[]> lines, int from, int to, List<Integer> widths, StringBuilder out) {
        int column = widths.size();
        int start = from;
        for (int at = from; at < to; at++) {
            if (column >= lines.get(at).length - 1) {
                continue;
            }
            write(lines, start, at, widths, out);
            start = at;
            int width = 1;
            for (; at < to && column < lines.get(at).length - 1; at++) {
                width = Math.max(width, lines.get(at)[column].codePointCount(0, lines.get(at)[column].length()) + 1);
            }
            widths.add(width);
            format(lines, start, at, widths, out);
            widths.removeLast();
            start = at;
            at--;
        }
        write(lines, start, to, widths, out);
    }

    private static void write(List<String[]> lines, int from, int to, List<Integer> widths, StringBuilder out) {
        for (int i = from; i < to; i++) {
            String[] cells = lines.get(i);
            for (int j = 0; j < cells.length; j++) {
                out.append(cells[j]);
                if (j < widths.size() && j < cells.length - 1) {
                    int cell = (widths.get(j) + TAB - 1) / TAB * TAB;
                    int gap = cell - cells[j].codePointCount(0, cells[j].length());
                    out.append("\t".repeat((gap + TAB - 1) / TAB));
                }
            }
            // the text after the last newline is an unfinished line: it gets no newline of its own
            if (i + 1 < lines.size()) {
                out.append('\n');
            }
        }
    }
}
