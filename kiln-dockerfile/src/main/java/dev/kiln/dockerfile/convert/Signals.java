package dev.kiln.dockerfile.convert;

import dev.kiln.dockerfile.instructions.InstructionException;
import java.util.Locale;
import java.util.Map;

/** Linux signal names and numbers, as STOPSIGNAL accepts them ("SIGTERM", "TERM", "15", "SIGRTMIN+3"). */
final class Signals {

    private static final Map<String, Integer> BY_NAME = Map.ofEntries(
            Map.entry("ABRT", 6),
            Map.entry("ALRM", 14),
            Map.entry("BUS", 7),
            Map.entry("CHLD", 17),
            Map.entry("CLD", 17),
            Map.entry("CONT", 18),
            Map.entry("FPE", 8),
            Map.entry("HUP", 1),
            Map.entry("ILL", 4),
            Map.entry("INT", 2),
            Map.entry("IO", 29),
            Map.entry("IOT", 6),
            Map.entry("KILL", 9),
            Map.entry("PIPE", 13),
            Map.entry("POLL", 29),
            Map.entry("PROF", 27),
            Map.entry("PWR", 30),
            Map.entry("QUIT", 3),
            Map.entry("SEGV", 11),
            Map.entry("STKFLT", 16),
            Map.entry("STOP", 19),
            Map.entry("SYS", 31),
            Map.entry("TERM", 15),
            Map.entry("TRAP", 5),
            Map.entry("TSTP", 20),
            Map.entry("TTIN", 21),
            Map.entry("TTOU", 22),
            Map.entry("URG", 23),
            Map.entry("USR1", 10),
            Map.entry("USR2", 12),
            Map.entry("VTALRM", 26),
            Map.entry("WINCH", 28),
            Map.entry("XCPU", 24),
            Map.entry("XFSZ", 25),
            Map.entry("RTMIN", 34),
            Map.entry("RTMAX", 64));

    private Signals() {}

    /** The signal's number. */
    static int parse(String text) throws InstructionException {
        try {
            int number = Integer.parseInt(text);
            if (number <= 0 || number > 64) {
                throw new InstructionException("invalid signal: " + text);
            }
            return number;
        } catch (NumberFormatException e) {
            // a name
        }
        String name = text.toUpperCase(Locale.ROOT);
        if (name.startsWith("SIG")) {
            name = name.substring(3);
        }
        Integer number = BY_NAME.get(name);
        if (number != null) {
            return number;
        }
        for (String base : new String[] {"RTMIN+", "RTMAX-"}) {
            if (name.startsWith(base)) {
                try {
                    int offset = Integer.parseInt(name.substring(base.length()));
                    int value = base.startsWith("RTMIN") ? 34 + offset : 64 - offset;
                    if (offset > 0 && value >= 34 && value <= 64) {
                        return value;
                    }
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        throw new InstructionException("invalid signal: " + text);
    }
}
