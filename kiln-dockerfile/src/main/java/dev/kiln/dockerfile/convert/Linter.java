package dev.kiln.dockerfile.convert;

import dev.kiln.dockerfile.parser.DirectiveParser;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs build checks and collects their warnings. Configured as BuildKit is: {@code # check=skip=Rule1,Rule2},
 * {@code skip=all}, {@code error=true} (warnings fail the build), from the directive, the
 * {@code BUILDKIT_DOCKERFILE_CHECK} build arg, or a {@code # check=} comment right above one instruction.
 */
public final class Linter {

    /** A check that fired, at lines {@code startLine}..{@code endLine} (0 when not tied to a line). */
    public record Warning(LintRule rule, String message, int startLine, int endLine) {

        /** The message as BuildKit prints it: "Rule: message (line N)". */
        public String formatted() {
            String text = rule.ruleName() + ": " + message;
            return startLine > 0 ? text + " (line " + startLine + ")" : text;
        }
    }

    private final boolean skipAll;
    private final Set<String> skipped;
    private final boolean returnAsError;
    private final List<Warning> warnings;

    private Linter(boolean skipAll, Set<String> skipped, boolean returnAsError, List<Warning> warnings) {
        this.skipAll = skipAll;
        this.skipped = skipped;
        this.returnAsError = returnAsError;
        this.warnings = warnings;
    }

    /** A linter configured by a check option such as "skip=JSONArgsRecommended;error=true". */
    public static Linter configured(String checkOption) {
        Config config = Config.parse(checkOption);
        return new Linter(
                config.skipAll(), config.skip(), config.error(), Collections.synchronizedList(new ArrayList<>()));
    }

    /** This linter with a {@code # check=} comment among {@code comments} merged in; same warning list. */
    Linter withComments(List<String> comments) {
        for (String comment : comments) {
            Optional<DirectiveParser.Directive> directive;
            try {
                directive = new DirectiveParser("").parseLine(comment);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (directive.isEmpty() || !directive.get().name().equals(DirectiveParser.CHECK)) {
                continue;
            }
            String value = directive.get().value();
            int space = value.indexOf(' ');
            Config config;
            try {
                config = Config.parse(space < 0 ? value : value.substring(0, space));
            } catch (IllegalArgumentException e) {
                return this;
            }
            Set<String> merged = new LinkedHashSet<>(skipped);
            merged.addAll(config.skip());
            return new Linter(skipAll || config.skipAll(), merged, returnAsError, warnings);
        }
        return this;
    }

    void run(LintRule rule, int startLine, int endLine, String message) {
        if (skipAll || skipped.contains(rule.ruleName())) {
            return;
        }
        warnings.add(new Warning(rule, message, startLine, endLine));
    }

    public List<Warning> warnings() {
        return List.copyOf(warnings);
    }

    /** With {@code error=true}, the rules that fired make the build fail. */
    Optional<String> error() {
        if (!returnAsError || warnings.isEmpty()) {
            return Optional.empty();
        }
        Set<String> rules = new TreeSet<>();
        warnings.forEach(w -> rules.add(w.rule().ruleName()));
        return Optional.of("lint violation found for rules: " + String.join(", ", rules));
    }

    private record Config(boolean skipAll, Set<String> skip, boolean error) {

        static Config parse(String text) {
            String option = text == null ? "" : text.strip();
            if (option.isEmpty()) {
                return new Config(false, Set.of(), false);
            }
            boolean skipAll = false;
            Set<String> skip = new LinkedHashSet<>();
            boolean error = false;
            for (String part : option.split(";", 3)) {
                int eq = part.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("invalid check option \"" + part + "\"");
                }
                String key = part.substring(0, eq).strip();
                String value = part.substring(eq + 1).strip();
                switch (key) {
                    case "skip" -> {
                        if (value.equals("all")) {
                            skipAll = true;
                        } else {
                            for (String rule : value.split(",")) {
                                skip.add(rule.strip());
                            }
                        }
                    }
                    case "experimental" -> {
                        // no experimental rules are implemented, so enabling them changes nothing
                    }
                    case "error" ->
                        error = switch (value.toLowerCase(java.util.Locale.ROOT)) {
                            case "1", "t", "true" -> true;
                            case "0", "f", "false" -> false;
                            default ->
                                throw new IllegalArgumentException("failed to parse check option \"" + part + "\"");
                        };
                    default -> throw new IllegalArgumentException("invalid check option \"" + key + "\"");
                }
            }
            return new Config(skipAll, Set.copyOf(skip), error);
        }
    }
}
