package dev.kiln.dockerfile;

import dev.kiln.engine.Entitlement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The expectations of one corpus case, one per line of its {@code expect} file ("#" starts a comment):
 *
 * <pre>
 * opt KEY=VALUE              a frontend option (build-arg:X=1, target=test, platform=linux/arm64, ...)
 * local NAME=DIR             an extra local directory, relative to the case
 * allow ENTITLEMENT          grant the build network.host or security.insecure (as --allow does)
 * file PATH = TEXT           the exported file has exactly TEXT (\n, \t and \\ escapes)
 * file PATH ~ TEXT           the exported file contains TEXT
 * dir PATH | absent PATH     a directory exists | nothing exists at PATH
 * mode PATH 0755             permission bits (with setuid/setgid/sticky)
 * owner PATH UID:GID         numeric owner in the image (a local export gives files to the user who builds)
 * link PATH -> TARGET        a symlink and its target
 * config POINTER = JSON      the image config at a JSON pointer equals JSON
 * config POINTER ~ TEXT      the JSON text at the pointer contains TEXT
 * config POINTER absent      the image config has nothing at the pointer
 * error TEXT                 the build fails with a message containing TEXT
 * warning TEXT               a warning contains TEXT;  nowarning TEXT: none does
 * ran TEXT | notran TEXT     a step whose name contains TEXT is part of the build (run or cached) | is not
 * </pre>
 */
record Expectations(
        Map<String, String> opts,
        Map<String, String> locals,
        Set<Entitlement> allow,
        List<Check> checks,
        String error) {

    /** One check of a built result. */
    sealed interface Check {
        record FileEquals(String path, String text) implements Check {}

        record FileContains(String path, String text) implements Check {}

        record Dir(String path) implements Check {}

        record Absent(String path) implements Check {}

        record Mode(String path, int mode) implements Check {}

        record Owner(String path, String owner) implements Check {}

        record Link(String path, String target) implements Check {}

        record ConfigEquals(String pointer, String json) implements Check {}

        record ConfigContains(String pointer, String text) implements Check {}

        record ConfigAbsent(String pointer) implements Check {}

        record Warning(String text, boolean expected) implements Check {}

        record Ran(String text, boolean expected) implements Check {}
    }

    static Expectations read(Path file) throws IOException {
        Map<String, String> opts = new LinkedHashMap<>();
        Map<String, String> locals = new LinkedHashMap<>();
        Set<Entitlement> allow = EnumSet.noneOf(Entitlement.class);
        List<Check> checks = new ArrayList<>();
        String error = null;
        int number = 0;
        for (String raw : Files.readAllLines(file)) {
            number++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.indexOf(' ');
            String kind = space < 0 ? line : line.substring(0, space);
            String rest = space < 0 ? "" : line.substring(space + 1).strip();
            switch (kind) {
                case "opt" -> opts.put(before(rest, "="), after(rest, "="));
                case "local" -> locals.put(before(rest, "="), after(rest, "="));
                case "allow" -> {
                    IllegalArgumentException unknown = bad(file, number, raw);
                    allow.add(Entitlement.parse(rest).orElseThrow(() -> unknown));
                }
                case "file" -> {
                    int eq = rest.indexOf(" = ");
                    int tilde = rest.indexOf(" ~ ");
                    if (eq >= 0 && (tilde < 0 || eq < tilde)) {
                        checks.add(new Check.FileEquals(rest.substring(0, eq), unescape(rest.substring(eq + 3))));
                    } else if (tilde >= 0) {
                        checks.add(
                                new Check.FileContains(rest.substring(0, tilde), unescape(rest.substring(tilde + 3))));
                    } else {
                        throw bad(file, number, raw);
                    }
                }
                case "dir" -> checks.add(new Check.Dir(rest));
                case "absent" -> checks.add(new Check.Absent(rest));
                case "mode" -> checks.add(new Check.Mode(before(rest, " "), Integer.parseInt(after(rest, " "), 8)));
                case "owner" -> checks.add(new Check.Owner(before(rest, " "), after(rest, " ")));
                case "link" -> checks.add(new Check.Link(before(rest, " -> "), after(rest, " -> ")));
                case "config" -> {
                    if (rest.endsWith(" absent")) {
                        checks.add(new Check.ConfigAbsent(rest.substring(0, rest.length() - " absent".length())));
                    } else if (rest.contains(" = ")) {
                        checks.add(new Check.ConfigEquals(before(rest, " = "), after(rest, " = ")));
                    } else if (rest.contains(" ~ ")) {
                        checks.add(new Check.ConfigContains(before(rest, " ~ "), unescape(after(rest, " ~ "))));
                    } else {
                        throw bad(file, number, raw);
                    }
                }
                case "error" -> error = rest;
                case "warning" -> checks.add(new Check.Warning(rest, true));
                case "nowarning" -> checks.add(new Check.Warning(rest, false));
                case "ran" -> checks.add(new Check.Ran(rest, true));
                case "notran" -> checks.add(new Check.Ran(rest, false));
                default -> throw bad(file, number, raw);
            }
        }
        return new Expectations(opts, locals, allow, checks, error);
    }

    private static IllegalArgumentException bad(Path file, int number, String line) {
        return new IllegalArgumentException(file + ":" + number + ": cannot read expectation: " + line);
    }

    private static String before(String text, String separator) {
        int at = text.indexOf(separator);
        return at < 0 ? text : text.substring(0, at);
    }

    private static String after(String text, String separator) {
        int at = text.indexOf(separator);
        return at < 0 ? "" : text.substring(at + separator.length());
    }

    static String unescape(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(++i);
                out.append(
                        switch (next) {
                            case 'n' -> '\n';
                            case 't' -> '\t';
                            default -> next;
                        });
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
