package dev.kiln.dockerfile.instructions;

import dev.kiln.dockerfile.shell.ShellException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code RUN --mount=...}: what is mounted where, with the options of its type.
 *
 * @param from the stage, image or named context the mount comes from ("" for the build context)
 * @param source path inside {@code from} (bind, cache) or the secret's id
 * @param cacheId the id of a cache, secret or ssh mount ("" when not given)
 * @param sharing shared, private or locked ("" when not given)
 * @param sizeLimit tmpfs size in bytes, 0 for no limit
 * @param env for a secret, the environment variable that receives it (null: a file)
 * @param mode octal file mode, or null
 * @param uid owner, or null
 * @param gid group, or null
 */
public record RunMount(
        Type type,
        String from,
        String source,
        String target,
        boolean readonly,
        long sizeLimit,
        String cacheId,
        String sharing,
        boolean required,
        String env,
        Integer mode,
        Integer uid,
        Integer gid) {

    /** The mount types RUN accepts. */
    public enum Type {
        BIND,
        CACHE,
        TMPFS,
        SECRET,
        SSH;

        String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final List<String> KEYS = List.of(
            "type",
            "from",
            "source",
            "target",
            "readonly",
            "id",
            "sharing",
            "required",
            "size",
            "mode",
            "uid",
            "gid",
            "src",
            "dst",
            "destination",
            "ro",
            "rw",
            "readwrite",
            "env");
    private static final List<String> TYPES = List.of("bind", "cache", "tmpfs", "secret", "ssh");
    private static final List<String> SHARING = List.of("shared", "private", "locked");
    private static final Pattern SIZE = Pattern.compile("^(\\d+(?:\\.\\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$");

    /**
     * Parses a mount specification. Without an expander only {@code from} is read, as the stage graph
     * needs it before variables are known; values are expanded and checked when the step is converted.
     */
    public static RunMount parse(String spec, Expander expander) throws InstructionException, ShellException {
        List<String> fields;
        try {
            fields = CsvFields.split(spec);
        } catch (InstructionException e) {
            throw new InstructionException("failed to parse csv mounts: " + e.getMessage());
        }
        Type type = Type.BIND;
        String from = "";
        String source = "";
        String target = "";
        boolean readonly = false;
        boolean roAuto = true;
        long size = 0;
        String id = "";
        String sharing = "";
        boolean required = false;
        String env = null;
        Integer mode = null;
        Integer uid = null;
        Integer gid = null;
        for (String field : fields) {
            int eq = field.indexOf('=');
            String key = (eq < 0 ? field : field.substring(0, eq)).toLowerCase(Locale.ROOT);
            String value = eq < 0 ? "" : field.substring(eq + 1);
            if (eq < 0) {
                if (expander == null) {
                    continue;
                }
                switch (key) {
                    case "readonly", "ro" -> {
                        readonly = true;
                        roAuto = false;
                    }
                    case "readwrite", "rw" -> {
                        readonly = false;
                        roAuto = false;
                    }
                    case "required" -> {
                        if (type != Type.SECRET && type != Type.SSH) {
                            throw new InstructionException(
                                    "unexpected key '" + key + "' for mount type '" + type.word() + "'");
                        }
                        required = true;
                    }
                    default -> throw new InstructionException("invalid field '" + field + "' must be a key=value pair");
                }
                continue;
            }
            if (expander != null) {
                value = expander.expand(value);
            } else if (key.equals("from")) {
                int dollar = value.indexOf('$');
                if (dollar >= 0 && dollar != value.length() - 1) {
                    throw new InstructionException(
                            "'" + key + "' doesn't support variable expansion, define alias stage instead");
                }
            } else {
                continue;
            }
            switch (key) {
                case "type" -> {
                    String word = value.toLowerCase(Locale.ROOT);
                    if (!TYPES.contains(word)) {
                        throw new InstructionException(
                                Suggestions.wrap("unsupported mount type \"" + value + "\"", value, TYPES, true));
                    }
                    type = Type.valueOf(word.toUpperCase(Locale.ROOT));
                }
                case "from" -> from = value;
                case "source", "src" -> source = value;
                case "target", "dst", "destination" -> target = value;
                case "readonly", "ro" -> {
                    readonly = parseBool(key, value);
                    roAuto = false;
                }
                case "readwrite", "rw" -> {
                    readonly = !parseBool(key, value);
                    roAuto = false;
                }
                case "required" -> {
                    if (type != Type.SECRET && type != Type.SSH) {
                        throw new InstructionException(
                                "unexpected key '" + key + "' for mount type '" + type.word() + "'");
                    }
                    required = parseBool(key, value);
                }
                case "size" -> {
                    if (type != Type.TMPFS) {
                        throw new InstructionException(
                                "unexpected key '" + key + "' for mount type '" + type.word() + "'");
                    }
                    size = ramInBytes(key, value);
                }
                case "id" -> id = value;
                case "sharing" -> {
                    String word = value.toLowerCase(Locale.ROOT);
                    if (!SHARING.contains(word)) {
                        throw new InstructionException(
                                Suggestions.wrap("unsupported sharing value \"" + value + "\"", value, SHARING, true));
                    }
                    sharing = word;
                }
                case "mode" -> mode = parseUnsigned(value, 8, "mode");
                case "uid" -> uid = parseUnsigned(value, 10, "uid");
                case "gid" -> gid = parseUnsigned(value, 10, "gid");
                case "env" -> env = value;
                default ->
                    throw new InstructionException(
                            Suggestions.wrap("unexpected key '" + key + "' in '" + field + "'", key, KEYS, true));
            }
        }
        boolean fileInfoAllowed = type == Type.SECRET || type == Type.SSH || type == Type.CACHE;
        if (!fileInfoAllowed) {
            String given = mode != null ? "mode" : uid != null ? "uid" : gid != null ? "gid" : null;
            if (given != null) {
                throw new InstructionException(given + " not allowed for \"" + type.word() + "\" type mounts");
            }
        }
        if (roAuto) {
            readonly = type != Type.CACHE && type != Type.TMPFS;
        }
        if (type == Type.SECRET) {
            if (!from.isEmpty()) {
                throw new InstructionException("secret mount should not have a from");
            }
            if (!sharing.isEmpty()) {
                throw new InstructionException("secret mount should not define sharing");
            }
            if (source.isEmpty() && target.isEmpty() && id.isEmpty()) {
                throw new InstructionException("invalid secret mount. one of source, target required");
            }
            if (!source.isEmpty() && !id.isEmpty()) {
                throw new InstructionException("both source and id can't be set");
            }
        }
        if (!sharing.isEmpty() && type != Type.CACHE) {
            throw new InstructionException("invalid cache sharing set for " + type.word() + " mount");
        }
        return new RunMount(type, from, source, target, readonly, size, id, sharing, required, env, mode, uid, gid);
    }

    private static boolean parseBool(String key, String value) throws InstructionException {
        return switch (value) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw new InstructionException("invalid value for " + key + ": " + value);
        };
    }

    private static Integer parseUnsigned(String value, int radix, String what) throws InstructionException {
        try {
            long parsed = Long.parseLong(value, radix);
            if (parsed < 0 || parsed > 0xFFFFFFFFL || value.startsWith("+")) {
                throw new NumberFormatException();
            }
            return (int) parsed;
        } catch (NumberFormatException e) {
            throw new InstructionException("invalid value " + value + " for " + what);
        }
    }

    /** docker's units.RAMInBytes: a number with an optional binary unit (k, m, g, t, p; "b" and "i" ignored). */
    static long ramInBytes(String key, String value) throws InstructionException {
        Matcher m = SIZE.matcher(value);
        if (!m.matches()) {
            throw new InstructionException("invalid value for " + key + ": " + value);
        }
        double number;
        try {
            number = Double.parseDouble(m.group(1));
        } catch (NumberFormatException e) {
            throw new InstructionException("invalid value for " + key + ": " + value);
        }
        long unit = 1;
        if (m.group(2) != null) {
            unit = switch (Character.toLowerCase(m.group(2).charAt(0))) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                case 'g' -> 1L << 30;
                case 't' -> 1L << 40;
                default -> 1L << 50;
            };
        }
        return (long) (number * unit);
    }
}
