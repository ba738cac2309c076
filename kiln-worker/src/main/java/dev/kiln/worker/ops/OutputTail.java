package dev.kiln.worker.ops;

import dev.kiln.solver.ShortText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The last lines a step printed, kept so that a failure can show them. Each line is kept short (a command echoed by
 * {@code set -x} can be megabytes long), and so is a line still being written: its end is counted, not kept.
 */
final class OutputTail {

    private final int maxLines;
    private final Deque<String> lines = new ArrayDeque<>();
    private final StringBuilder partial = new StringBuilder();
    private long partialLength;

    OutputTail(int maxLines) {
        this.maxLines = maxLines;
    }

    synchronized void append(byte[] data, int offset, int length) {
        String text = new String(data, offset, length, StandardCharsets.UTF_8);
        int start = 0;
        int newline;
        while ((newline = text.indexOf('\n', start)) >= 0) {
            addPartial(text, start, newline);
            add(finishLine());
            start = newline + 1;
        }
        addPartial(text, start, text.length());
    }

    /** Keeps a line's beginning only, enough for {@link ShortText} to quote it and say how long it was. */
    private void addPartial(String text, int from, int to) {
        int room = ShortText.KEPT + 40 - partial.length();
        if (room > 0) {
            partial.append(text, from, Math.min(to, from + room));
        }
        partialLength += to - from;
    }

    private String finishLine() {
        String line = ShortText.of(partial.toString(), partialLength);
        partial.setLength(0);
        partialLength = 0;
        return line;
    }

    private void add(String line) {
        lines.addLast(line);
        if (lines.size() > maxLines) {
            lines.removeFirst();
        }
    }

    synchronized String text() {
        StringBuilder out = new StringBuilder();
        lines.forEach(line -> out.append(line).append('\n'));
        if (partialLength > 0) {
            out.append(ShortText.of(partial.toString(), partialLength)).append('\n');
        }
        return out.toString();
    }
}
