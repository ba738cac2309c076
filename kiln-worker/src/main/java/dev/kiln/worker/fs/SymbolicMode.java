package dev.kiln.worker.fs;

import java.util.ArrayList;
import java.util.List;

/**
 * A chmod(1) mode as a copy's {@code --chmod} carries it: an octal number ("0755", "4755") or comma-separated
 * symbolic clauses ("u+x", "go-w", "u=rwx,g=rx,o=", "a+rX", "go=u-w"), parsed once and applied to each copied
 * entry's own mode.
 *
 * <p>It follows the BSD setmode grammar that BuildKit uses (with a umask of 0), including its edges, so that a
 * definition gives the same modes in Kiln as in BuildKit: {@code X} adds execute only to directories and to files
 * that had an execute bit before the whole mode was applied; {@code =} leaves the sticky bit alone unless it names
 * {@code t}; {@code s} and {@code t} mean nothing for {@code o} alone; and {@code t} in a clause without a
 * who-list narrows that clause to the sticky bit.
 */
public final class SymbolicMode {

    private static final int SETUID = 04000;
    private static final int SETGID = 02000;
    private static final int STICKY = 01000;
    /** What "a" and an empty who-list stand for: every bit but the sticky one. */
    private static final int STANDARD = SETUID | SETGID | 0777;

    private static final int EXECUTE = 0111;

    /** One change to the mode bits; steps run in order, each on the result of the one before. */
    private sealed interface Step {}

    private record Clear(int bits) implements Step {}

    private record Add(int bits) implements Step {}

    /** {@code X}: adds {@code bits} if the entry is a directory or was executable by anyone. */
    private record AddIfSearchable(int bits) implements Step {}

    /** "g=u", "o+g", "go-u": one class's rwx bits, as they are at this step, onto other classes. */
    private record CopyClass(int fromShift, List<Integer> toShifts, char op) implements Step {}

    private final String text;
    private final List<Step> steps;

    private SymbolicMode(String text, List<Step> steps) {
        this.text = text;
        this.steps = List.copyOf(steps);
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static SymbolicMode parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("invalid mode \"\": a mode must not be empty");
        }
        char first = text.charAt(0);
        if (first >= '0' && first <= '9') {
            return new SymbolicMode(text, List.of(new Clear(STANDARD | STICKY), new Add(octal(text))));
        }
        return new SymbolicMode(text, new Parser(text).clauses());
    }

    /**
     * The permission bits (with setuid, setgid and sticky) an entry whose mode is {@code currentMode} gets; bits
     * above 07777 in {@code currentMode} are ignored.
     */
    public int apply(int currentMode, boolean isDirectory) {
        int original = currentMode & 07777;
        boolean searchable = isDirectory || (original & EXECUTE) != 0;
        int mode = original;
        for (Step step : steps) {
            mode = switch (step) {
                case Clear clear -> mode & ~clear.bits();
                case Add add -> mode | add.bits();
                case AddIfSearchable x -> searchable ? mode | x.bits() : mode;
                case CopyClass copy -> copyClass(copy, mode);
            };
        }
        return mode;
    }

    /** The mode as it was written. */
    public String text() {
        return text;
    }

    private static int copyClass(CopyClass copy, int mode) {
        int value = (mode >> copy.fromShift()) & 07;
        for (int shift : copy.toShifts()) {
            if (copy.op() == '=') {
                mode &= ~(07 << shift);
            } else if (copy.op() == '-') {
                mode &= ~(value << shift);
            }
            if (copy.op() != '-') {
                mode |= value << shift;
            }
        }
        return mode;
    }

    private static int octal(String text) {
        int value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '7') {
                throw new IllegalArgumentException("invalid mode \"" + text + "\": '" + c
                        + "' is not an octal digit (a mode starting with a digit is octal)");
            }
            value = value * 8 + (c - '0');
            if (value > 07777) {
                throw new IllegalArgumentException(
                        "invalid mode \"" + text + "\": an octal mode must be within 0..07777");
            }
        }
        return value;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SymbolicMode mode && mode.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }

    /** Reads "[ugoa]*([+-=]([rwxXst]|[ugo])*)+" clauses separated by commas into steps. */
    private static final class Parser {

        private final String text;
        private final List<Step> steps = new ArrayList<>();
        private int pos;

        Parser(String text) {
            this.text = text;
        }

        List<Step> clauses() {
            while (true) {
                int who = 0;
                while (pos < text.length() && "ugoa".indexOf(text.charAt(pos)) >= 0) {
                    who |= whoBits(text.charAt(pos));
                    pos++;
                }
                if (pos == text.length()) {
                    throw fail("expected +, - or = at the end");
                }
                do {
                    char op = text.charAt(pos);
                    if (op != '+' && op != '-' && op != '=') {
                        throw fail("expected +, - or = but found '" + op + "'");
                    }
                    pos++;
                    who = actions(op, who & ~STICKY);
                } while (pos < text.length() && text.charAt(pos) != ',');
                if (pos == text.length()) {
                    return steps;
                }
                pos++;
            }
        }

        /**
         * The permission letters after one operator, up to the next operator, comma or the end. Returns the who-list,
         * which {@code t} can widen for the rest of the clause.
         */
        private int actions(char op, int who) {
            int perm = 0;
            int searchPerm = 0;
            boolean assigned = false;
            for (; ; pos++) {
                char c = pos < text.length() ? text.charAt(pos) : '\0';
                switch (c) {
                    case 'r' -> perm |= 0444;
                    case 'w' -> perm |= 0222;
                    case 'x' -> perm |= EXECUTE;
                    case 'X' -> {
                        if (op == '-') {
                            perm |= EXECUTE;
                        } else {
                            searchPerm = EXECUTE;
                        }
                    }
                    case 's' -> {
                        if (notOthersOnly(who)) {
                            perm |= SETUID | SETGID;
                        }
                    }
                    case 't' -> {
                        if (notOthersOnly(who)) {
                            who |= STICKY;
                            perm |= STICKY;
                        }
                    }
                    case 'u', 'g', 'o' -> {
                        if (perm != 0) {
                            change(op, who, perm);
                            perm = 0;
                        }
                        assigned |= op == '=';
                        if (searchPerm != 0) {
                            steps.add(new AddIfSearchable(select(who, searchPerm)));
                            searchPerm = 0;
                        }
                        steps.add(new CopyClass(classShift(c), targets(who), op));
                    }
                    default -> {
                        // "u=" with nothing after it still clears: an assignment always happens once.
                        if (perm != 0 || (op == '=' && !assigned)) {
                            change(op, who, perm);
                        }
                        if (searchPerm != 0) {
                            steps.add(new AddIfSearchable(select(who, searchPerm)));
                        }
                        return who;
                    }
                }
            }
        }

        private void change(char op, int who, int perm) {
            switch (op) {
                case '=' -> {
                    steps.add(new Clear(who != 0 ? who : STANDARD));
                    steps.add(new Add(select(who, perm)));
                }
                case '+' -> steps.add(new Add(select(who, perm)));
                case '-' -> steps.add(new Clear(select(who, perm)));
                default -> throw new IllegalStateException("operator " + op);
            }
        }

        /** The bits a clause touches: those of its who-list, or all of them (umask 0) when it has none. */
        private static int select(int who, int perm) {
            return who != 0 ? who & perm : perm;
        }

        private static boolean notOthersOnly(int who) {
            return who == 0 || (who & ~07) != 0;
        }

        private static int whoBits(char c) {
            return switch (c) {
                case 'u' -> SETUID | 0700;
                case 'g' -> SETGID | 0070;
                case 'o' -> 0007;
                default -> STANDARD;
            };
        }

        private static int classShift(char c) {
            return switch (c) {
                case 'u' -> 6;
                case 'g' -> 3;
                default -> 0;
            };
        }

        private static List<Integer> targets(int who) {
            if (who == 0) {
                return List.of(6, 3, 0);
            }
            List<Integer> shifts = new ArrayList<>();
            for (int shift : new int[] {6, 3, 0}) {
                if ((who & (04 << shift)) != 0) {
                    shifts.add(shift);
                }
            }
            return shifts;
        }

        private IllegalArgumentException fail(String why) {
            String where = pos < text.length() ? " (at position " + (pos + 1) + ")" : "";
            return new IllegalArgumentException("invalid mode \"" + text + "\": " + why + where
                    + "; expected an octal number or clauses like u+x,go-w");
        }
    }
}
