package dev.kiln.dockerfile.instructions;

import dev.kiln.core.GoDurations;
import dev.kiln.dockerfile.instructions.Instruction.HealthSpec;
import dev.kiln.dockerfile.parser.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** HEALTHCHECK [flags] CMD command, or HEALTHCHECK NONE. */
final class Healthchecks {

    private static final long MINIMUM_INTERVAL = 1_000_000L;

    private Healthchecks() {}

    static HealthSpec parse(Node node, Flags flags) throws InstructionException {
        List<String> args = node.args();
        if (args.isEmpty()) {
            throw InstructionParser.atLeastOne("HEALTHCHECK");
        }
        String type = args.getFirst().toUpperCase(Locale.ROOT);
        List<String> rest = args.subList(1, args.size());
        if (type.equals("NONE")) {
            if (!rest.isEmpty()) {
                throw new InstructionException("HEALTHCHECK NONE takes no arguments");
            }
            return new HealthSpec(List.of("NONE"), 0, 0, 0, 0, 0);
        }
        flags.string("interval", "")
                .string("timeout", "")
                .string("start-period", "")
                .string("start-interval", "")
                .string("retries", "")
                .parse();
        if (!type.equals("CMD")) {
            throw new InstructionException("Unknown type \"" + type + "\" in HEALTHCHECK (try CMD)");
        }
        List<String> command = InstructionParser.jsonArgs(rest, node.json());
        if (command.isEmpty()) {
            throw new InstructionException("Missing command after HEALTHCHECK CMD");
        }
        List<String> test = new ArrayList<>();
        test.add(node.json() ? "CMD" : "CMD-SHELL");
        test.addAll(command);
        int retries = 0;
        String retriesText = flags.value("retries");
        if (!retriesText.isEmpty()) {
            long parsed;
            try {
                parsed = Long.parseLong(retriesText);
            } catch (NumberFormatException e) {
                throw new InstructionException("strconv.ParseInt: parsing \"" + retriesText + "\": invalid syntax");
            }
            if (parsed < 0) {
                throw new InstructionException("--retries cannot be negative (" + parsed + ")");
            }
            if (parsed > Integer.MAX_VALUE) {
                throw new InstructionException("strconv.ParseInt: parsing \"" + retriesText + "\": value out of range");
            }
            retries = (int) parsed;
        }
        return new HealthSpec(
                test,
                interval(flags, "interval"),
                interval(flags, "timeout"),
                interval(flags, "start-period"),
                interval(flags, "start-interval"),
                retries);
    }

    private static long interval(Flags flags, String name) throws InstructionException {
        String text = flags.value(name);
        if (text.isEmpty()) {
            return 0;
        }
        long nanos;
        try {
            nanos = GoDurations.parseNanos(text);
        } catch (IllegalArgumentException e) {
            throw new InstructionException(e.getMessage());
        }
        if (nanos == 0) {
            return 0;
        }
        if (nanos < MINIMUM_INTERVAL) {
            throw new InstructionException("Interval \"" + name + "\" cannot be less than 1ms");
        }
        return nanos;
    }
}
