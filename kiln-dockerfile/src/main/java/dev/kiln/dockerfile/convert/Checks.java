package dev.kiln.dockerfile.convert;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.dockerfile.DockerfileException;
import dev.kiln.dockerfile.instructions.DockerfileStages;
import dev.kiln.dockerfile.instructions.Instruction;
import dev.kiln.dockerfile.instructions.Stage;
import dev.kiln.dockerfile.parser.ParseWarning;
import dev.kiln.dockerfile.parser.ParsedDockerfile;
import dev.kiln.dockerfile.parser.SourceFile;
import dev.kiln.dockerfile.shell.EnvLookup;
import dev.kiln.dockerfile.shell.ShellException;
import dev.kiln.dockerfile.shell.ShellLex;
import dev.kiln.dockerfile.shell.WordResult;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Build checks that look at the Dockerfile as a whole rather than at one instruction as it is converted. */
final class Checks {

    private Checks() {}

    /** Checks on the parsed file: empty continuations, MAINTAINER, stage names, instruction casing. */
    static void parsing(ParsedDockerfile parsed, DockerfileStages dockerfile, Linter lint) {
        for (ParseWarning warning : parsed.warnings()) {
            lint.run(LintRule.NO_EMPTY_CONTINUATION, warning.line(), warning.line(), "Empty continuation line");
        }
        Set<String> names = new HashSet<>();
        int lower = 0;
        int upper = 0;
        List<Instruction.Origin> all = new ArrayList<>();
        for (Stage stage : dockerfile.stages()) {
            Instruction.From from = stage.from();
            Linter stageLint = lint.withComments(from.origin().comments());
            Instruction.Origin at = from.origin();
            if (!from.nameAsWritten().equals(from.nameAsWritten().toLowerCase(Locale.ROOT))) {
                stageLint.run(
                        LintRule.STAGE_NAME_CASING,
                        at.startLine(),
                        at.endLine(),
                        "Stage name '" + from.nameAsWritten() + "' should be lowercase");
            }
            if (!from.asWord().isEmpty() && !asMatchesFrom(at.keyword(), from.asWord())) {
                stageLint.run(
                        LintRule.FROM_AS_CASING,
                        at.startLine(),
                        at.endLine(),
                        "'" + from.asWord() + "' and '" + at.keyword() + "' keywords' casing do not match");
            }
            if (!stage.name().isEmpty()) {
                if (stage.name().equals("context") || stage.name().equals("scratch")) {
                    stageLint.run(
                            LintRule.RESERVED_STAGE_NAME,
                            at.startLine(),
                            at.endLine(),
                            "Stage name should not use the same name as reserved stage \"" + stage.name() + "\"");
                }
                if (!names.add(stage.name())) {
                    stageLint.run(
                            LintRule.DUPLICATE_STAGE_NAME,
                            at.startLine(),
                            at.endLine(),
                            "Duplicate stage name \"" + stage.name() + "\", stage names should be unique");
                }
            }
            all.add(at);
            for (Instruction command : stage.commands()) {
                all.add(command.origin());
                if (command instanceof Instruction.Maintainer m) {
                    lint.withComments(m.origin().comments())
                            .run(
                                    LintRule.MAINTAINER_DEPRECATED,
                                    m.origin().startLine(),
                                    m.origin().endLine(),
                                    "Maintainer instruction is deprecated in favor of using label");
                }
            }
        }
        for (Instruction.Origin origin : all) {
            String keyword = origin.keyword();
            if (keyword.equals(keyword.toLowerCase(Locale.ROOT))) {
                lower++;
            } else if (keyword.equals(keyword.toUpperCase(Locale.ROOT))) {
                upper++;
            }
        }
        boolean majorityLower = lower > upper;
        for (Instruction.Origin origin : all) {
            String keyword = origin.keyword();
            String casing = majorityLower && !keyword.equals(keyword.toLowerCase(Locale.ROOT))
                    ? "lowercase"
                    : !majorityLower && !keyword.equals(keyword.toUpperCase(Locale.ROOT)) ? "uppercase" : null;
            if (casing != null) {
                lint.run(
                        LintRule.CONSISTENT_INSTRUCTION_CASING,
                        origin.startLine(),
                        origin.endLine(),
                        "Command '" + keyword + "' should match the case of the command majority (" + casing + ")");
            }
        }
    }

    private static boolean asMatchesFrom(String from, String as) {
        boolean fromLower = from.equals(from.toLowerCase(Locale.ROOT));
        boolean fromUpper = from.equals(from.toUpperCase(Locale.ROOT));
        if (!fromLower && !fromUpper) {
            return true;
        }
        return fromLower ? as.equals(as.toLowerCase(Locale.ROOT)) : as.equals(as.toUpperCase(Locale.ROOT));
    }

    /** Warns when a FROM line's base name is invalid with the global ARGs' defaults alone (no build args). */
    static void baseImagesWithDefaultArgs(
            DockerfileStages dockerfile, ShellLex shlex, Map<String, String> args, Linter lint) {
        for (Instruction.Arg arg : dockerfile.metaArgs()) {
            for (Instruction.ArgDef def : arg.args()) {
                if (def.value() != null) {
                    try {
                        args.put(
                                def.key(),
                                shlex.processWord(def.value(), EnvLookup.of(args))
                                        .result());
                    } catch (ShellException e) {
                        return;
                    }
                }
            }
        }
        for (Stage stage : dockerfile.stages()) {
            String name;
            try {
                name = shlex.processWord(stage.from().baseName(), EnvLookup.of(args))
                        .result();
            } catch (ShellException e) {
                return;
            }
            if (!validReference(name)) {
                Instruction.Origin at = stage.from().origin();
                lint.run(
                        LintRule.INVALID_DEFAULT_ARG_IN_FROM,
                        at.startLine(),
                        at.endLine(),
                        "Default value for ARG " + stage.from().baseName()
                                + " results in empty or invalid base image name");
            }
        }
    }

    private static boolean validReference(String name) {
        try {
            ImageReference.parseNormalized(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** FROM --platform: a constant value, or $TARGETPLATFORM (the default anyway), earn a warning. */
    static void fromPlatform(Instruction.From from, WordResult platform, Map<String, String> globalArgs, Linter lint) {
        Instruction.Origin at = from.origin();
        if (platform.matched().size() == 1
                && platform.unmatched().isEmpty()
                && platform.matched().contains("TARGETPLATFORM")
                && platform.result().equals(globalArgs.get("TARGETPLATFORM"))) {
            lint.run(
                    LintRule.REDUNDANT_TARGET_PLATFORM,
                    at.startLine(),
                    at.endLine(),
                    "Setting platform to predefined " + from.platform() + " in FROM is redundant as this is the "
                            + "default behavior");
        }
        if (!platform.matched().isEmpty() || !platform.unmatched().isEmpty()) {
            return;
        }
        Platform parsed;
        try {
            parsed = Platforms.parse(platform.result(), Platform.of("linux", "amd64"));
        } catch (IllegalArgumentException e) {
            return;
        }
        if (from.stageName().contains(parsed.os()) || from.stageName().contains(parsed.architecture())) {
            return;
        }
        lint.run(
                LintRule.FROM_PLATFORM_FLAG_CONST_DISALLOWED,
                at.startLine(),
                at.endLine(),
                "FROM --platform flag should not use constant value \"" + platform.result() + "\"");
    }

    /** Stages that copy from each other in a circle can never be built. */
    static void noCycles(List<StageState> states, SourceFile source) {
        Set<StageState> visited = new HashSet<>();
        for (StageState state : states) {
            Instruction first = cycleFrom(state, visited);
            if (first != null) {
                DockerfileException e = source.error(
                        first.origin().startLine(),
                        first.origin().endLine(),
                        "circular dependency detected on stage: " + state.stageName);
                throw e;
            }
        }
    }

    /** A stage on the walk's path, and how far through its dependencies the walk is. */
    private record Visit(StageState stage, Iterator<Map.Entry<StageState, Instruction>> deps) {}

    /**
     * Walks depth first from {@code root} through stages not visited before and returns the instruction of
     * {@code root} through which the walk comes back to a stage on its path, or null when there is no cycle. The
     * walk keeps its own stack: a chain of stages copying from each other is as deep as it is long.
     */
    private static Instruction cycleFrom(StageState root, Set<StageState> visited) {
        if (!visited.add(root)) {
            return null;
        }
        Set<StageState> onPath = new HashSet<>();
        Deque<Visit> path = new ArrayDeque<>();
        onPath.add(root);
        path.push(new Visit(root, root.deps.entrySet().iterator()));
        Instruction leavingRoot = null;
        while (!path.isEmpty()) {
            Visit current = path.peek();
            if (!current.deps().hasNext()) {
                path.pop();
                onPath.remove(current.stage());
                continue;
            }
            Map.Entry<StageState, Instruction> dep = current.deps().next();
            if (path.size() == 1) {
                leavingRoot = dep.getValue();
            }
            if (onPath.contains(dep.getKey())) {
                return leavingRoot;
            }
            if (visited.add(dep.getKey())) {
                onPath.add(dep.getKey());
                path.push(new Visit(dep.getKey(), dep.getKey().deps.entrySet().iterator()));
            }
        }
        return null;
    }
}
