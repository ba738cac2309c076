package dev.kiln.worker.ops;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/** The last lines a step printed, kept so that a failure can show them. */
final class OutputTail {

    private final int maxLines;
    private final Deque<String> lines = new ArrayDeque<>();
    private final StringBuilder partial = new StringBuilder();

    OutputTail(int maxLines) {
        this.maxLines = maxLines;
    }

    synchronized void append(byte[] data, int offset, int length) {
        partial.append(new String(data, offset, length, StandardCharsets.UTF_8));
        int newline;
        while ((newline = partial.indexOf("\n")) >= 0) {
            add(partial.substring(0, newline));
            partial.delete(0, newline + 1);
        }
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
        if (!partial.isEmpty()) {
            out.append(partial).append('\n');
        }
        return out.toString();
    }
}
