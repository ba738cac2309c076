package dev.kiln.core;

import java.util.Optional;
import java.util.function.IntPredicate;
import java.util.function.UnaryOperator;

/**
 * A few lines of a source file in a frame, as BuildKit's errdefs.Source prints them and buildx prints a lint
 * warning: the file name and first marked line, then each line numbered, the marked ones with {@code >>>}, with
 * context taken from either side while there is any (four lines around one line, two around more).
 */
public final class SourceFrame {

    private static final int CONTEXT_AROUND_LINE = 4;

    private static final int CONTEXT_AROUND_RANGE = 2;

    private static final String RULE = "--------------------";

    private SourceFrame() {}

    /**
     * Lines {@code first}..{@code last} (1-based) of a source file that a failure is about, with the file: its name as
     * the user knows it, its language ("Dockerfile") and its bytes. Plain values, so that a frontend, which knows
     * neither the engine nor the wire, can say where its input is wrong; the daemon and the gateway bridge send them
     * as BuildKit's errdefs.Source, one range a line, as BuildKit's frontend does.
     */
    public record Lines(String filename, String language, byte[] data, int first, int last) {

        public Lines {
            if (first < 1 || last < first) {
                throw new IllegalArgumentException("lines " + first + " to " + last + " of " + filename);
            }
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }
    }

    /** A failure that knows which lines of its source file it is about. */
    public interface Located {

        /** The lines, when known. */
        Optional<Lines> lines();

        /** The lines {@code error} or the first of its causes that knows them is about, if any knows. */
        static Optional<Lines> in(Throwable error) {
            for (Throwable cause = error; cause != null; cause = cause.getCause()) {
                if (cause instanceof Located located && located.lines().isPresent()) {
                    return located.lines();
                }
            }
            return Optional.empty();
        }
    }

    /**
     * Lines {@code start}..{@code end} (1-based) of {@code lines} framed, those {@code marked} says with
     * {@code >>>}, each shown as {@code shown} makes it; empty when {@code start} lies outside the file.
     */
    public static String draw(
            String filename, String[] lines, int start, int end, IntPredicate marked, UnaryOperator<String> shown) {
        if (start < 1 || start > lines.length) {
            return "";
        }
        int last = Math.min(Math.max(start, end), lines.length);
        int wanted = last == start ? CONTEXT_AROUND_LINE : CONTEXT_AROUND_RANGE;
        int from = start;
        int to = last;
        // each round takes a line from above and one from below when there is one, but counts a step either way
        for (int taken = 0; taken < wanted; ) {
            if (from > 1) {
                from--;
                taken++;
            }
            if (to < lines.length) {
                to++;
                taken++;
            }
            taken++;
        }
        StringBuilder out = new StringBuilder(filename)
                .append(':')
                .append(start)
                .append('\n')
                .append(RULE)
                .append('\n');
        for (int line = from; line <= to; line++) {
            out.append(String.format(
                            " %3d | %s %s", line, marked.test(line) ? ">>>" : "   ", shown.apply(lines[line - 1])))
                    .append('\n');
        }
        return out.append(RULE).append('\n').toString();
    }
}
