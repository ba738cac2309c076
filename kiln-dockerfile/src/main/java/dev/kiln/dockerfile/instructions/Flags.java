package dev.kiln.dockerfile.instructions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code --name=value} flags of one instruction, checked against the flags it accepts: booleans
 * ({@code --link}, {@code --link=false}), strings (given once) and string lists (repeatable, {@code --mount}).
 */
final class Flags {

    private enum Kind {
        BOOL,
        STRING,
        STRINGS
    }

    private final List<String> given;
    private final Map<String, Kind> accepted = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, List<String>> lists = new LinkedHashMap<>();
    private final Set<String> used = new LinkedHashSet<>();

    Flags(List<String> given) {
        this.given = List.copyOf(given);
    }

    Flags bool(String name) {
        accepted.put(name, Kind.BOOL);
        values.put(name, "false");
        return this;
    }

    Flags string(String name, String defaultValue) {
        accepted.put(name, Kind.STRING);
        values.put(name, defaultValue);
        return this;
    }

    Flags strings(String name) {
        accepted.put(name, Kind.STRINGS);
        lists.put(name, new ArrayList<>());
        return this;
    }

    /**
     * Checks the given flags.
     *
     * @throws InstructionException for an unknown flag (with a suggestion), a repeated single flag, or a
     *     missing or malformed value
     */
    Flags parse() throws InstructionException {
        for (String arg : given) {
            if (arg.equals("--")) {
                return this;
            }
            if (!arg.startsWith("--")) {
                throw new InstructionException("arg should start with -- : " + arg);
            }
            int eq = arg.indexOf('=');
            String flagName = eq < 0 ? arg : arg.substring(0, eq);
            String value = eq < 0 ? "" : arg.substring(eq + 1);
            boolean hasValue = eq >= 0;
            String name = flagName.substring(2);
            Kind kind = accepted.get(name);
            if (kind == null) {
                throw new InstructionException(
                        Suggestions.wrap("unknown flag: " + flagName, name, accepted.keySet(), true));
            }
            if (used.contains(name) && kind != Kind.STRINGS) {
                throw new InstructionException("duplicate flag specified: " + flagName);
            }
            used.add(name);
            switch (kind) {
                case BOOL -> {
                    if (hasValue && value.isEmpty()) {
                        throw new InstructionException("missing a value on flag: " + flagName);
                    }
                    switch (value.toLowerCase(Locale.ROOT)) {
                        case "true", "" -> values.put(name, "true");
                        case "false" -> values.put(name, "false");
                        default ->
                            throw new InstructionException(
                                    "expecting boolean value for flag " + flagName + ", not: " + value);
                    }
                }
                case STRING -> {
                    if (!hasValue) {
                        throw new InstructionException("missing a value on flag: " + flagName);
                    }
                    values.put(name, value);
                }
                case STRINGS -> {
                    if (!hasValue) {
                        throw new InstructionException("missing a value on flag: " + flagName);
                    }
                    lists.get(name).add(value);
                }
            }
        }
        return this;
    }

    String value(String name) {
        return values.get(name);
    }

    boolean isTrue(String name) {
        return "true".equals(values.get(name));
    }

    List<String> list(String name) {
        return List.copyOf(lists.get(name));
    }

    boolean isUsed(String name) {
        return used.contains(name);
    }

    Set<String> used() {
        return Set.copyOf(used);
    }
}
