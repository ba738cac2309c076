package dev.kiln.dockerfile.convert;

import dev.kiln.core.GoDurations;
import dev.kiln.core.GoPath;
import dev.kiln.core.GoQuoted;
import dev.kiln.core.Platform;
import dev.kiln.dockerfile.instructions.Expander;
import dev.kiln.dockerfile.instructions.Instruction;
import dev.kiln.dockerfile.instructions.InstructionException;
import dev.kiln.dockerfile.instructions.Suggestions;
import dev.kiln.dockerfile.shell.EnvLookup;
import dev.kiln.dockerfile.shell.ShellException;
import dev.kiln.dockerfile.shell.ShellLex;
import dev.kiln.dockerfile.shell.WordResult;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.MkdirOption;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.Owner;
import dev.kiln.oci.Healthcheck;
import dev.kiln.oci.ImageConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Applies one instruction to its stage: the LLB state for instructions that change files (RUN, COPY, ADD,
 * WORKDIR) and the image config for all of them, with a history entry per instruction as BuildKit writes it.
 */
final class Dispatcher {

    private static final Pattern SECRET_WORDS = Pattern.compile(
            "(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)");
    private static final Pattern ALLOWED_WORDS = Pattern.compile("(?i)(?:_|^)(?:public|file|version)(?:_|$)");

    private final DispatchContext ctx;

    Dispatcher(DispatchContext ctx) {
        this.ctx = ctx;
    }

    void dispatch(StageState d, StageState.Command command) throws InterruptedException {
        Instruction written = command.instruction();
        Linter lint = ctx.lint.withComments(written.origin().comments());
        d.cmdIsOnBuild = command.onBuild();
        Instruction instruction = written;
        try {
            Expander expander = word -> expand(d, written, word, lint);
            if (!(written instanceof Instruction.Arg)) {
                instruction = written.expand(expander);
            }
            switch (instruction) {
                case Instruction.Add add ->
                    new CopyDispatch(ctx, d)
                            .add(add.withFiles(add.files().expandContents(word -> expandRaw(d, add, word, lint))));
                case Instruction.Copy copy ->
                    new CopyDispatch(ctx, d)
                            .copy(
                                    copy.withFiles(copy.files().expandContents(word -> expandRaw(d, copy, word, lint))),
                                    command.sources());
                case Instruction.Run run -> new RunDispatch(ctx, d).run(run, command.sources(), expander);
                case Instruction.Env env -> env(d, env, lint);
                case Instruction.Maintainer maintainer -> {
                    d.image = d.image.withAuthor(maintainer.maintainer());
                    d.commit("MAINTAINER " + maintainer.maintainer(), false);
                }
                case Instruction.Label label -> label(d, label, lint);
                case Instruction.Onbuild onbuild -> {
                    d.changeConfig(c -> c.withOnBuild(append(c.onBuild(), onbuild.expression())));
                }
                case Instruction.Workdir workdir -> workdir(d, workdir, true, lint);
                case Instruction.Cmd cmd -> cmd(d, cmd, lint);
                case Instruction.Entrypoint entrypoint -> entrypoint(d, entrypoint, lint);
                case Instruction.Healthcheck healthcheck -> healthcheck(d, healthcheck, lint);
                case Instruction.Expose expose -> expose(d, expose, lint);
                case Instruction.User user -> user(d, user.user(), true);
                case Instruction.Volume volume -> volume(d, volume);
                case Instruction.StopSignal stopSignal -> stopSignal(d, stopSignal);
                case Instruction.Shell shell -> {
                    d.changeConfig(c -> c.withShell(shell.shell()));
                    d.commit("SHELL " + goList(shell.shell()), false);
                }
                case Instruction.Arg arg -> arg(d, arg, lint);
                case Instruction.From from -> throw ctx.fail(from.origin(), "FROM inside a stage");
            }
        } catch (ShellException | InstructionException | IllegalArgumentException e) {
            throw ctx.fail(written.origin(), e.getMessage());
        }
    }

    /** Expands a word against the stage's variables, warning about variables that are not defined. */
    private String expand(StageState d, Instruction instruction, String word, Linter lint) throws ShellException {
        EnvLookup env = DispatchContext.env(d.state);
        WordResult result = ctx.shlex.processWord(word, env);
        reportUndefined(d, instruction, env, result.unmatched(), lint);
        return result.result();
    }

    /** Heredoc contents: variables expanded, quotes kept (the content is a file, not shell words). */
    private String expandRaw(StageState d, Instruction instruction, String word, Linter lint) throws ShellException {
        EnvLookup env = DispatchContext.env(d.state);
        WordResult result = new ShellLex('\\').withSkipProcessQuotes(true).processWord(word, env);
        reportUndefined(d, instruction, env, result.unmatched(), lint);
        return result.result();
    }

    void reportUndefined(StageState d, Instruction instruction, EnvLookup env, Set<String> unmatched, Linter lint) {
        Set<String> declared = new HashSet<>();
        d.buildArgs.forEach(a -> declared.add(a.key()));
        for (String name : unmatched) {
            if (declared.contains(name) || DispatchContext.NON_ENV_ARGS.contains(name)) {
                continue;
            }
            String message = "Usage of undefined variable '$" + name + "'"
                    + Suggestions.closest(name, env.keys(), true)
                            .map(s -> " (did you mean $" + s + "?)")
                            .orElse("");
            lint.run(
                    LintRule.UNDEFINED_VAR,
                    instruction.origin().startLine(),
                    instruction.origin().endLine(),
                    message);
        }
    }

    private void env(StageState d, Instruction.Env env, Linter lint) {
        StringBuilder history = new StringBuilder("ENV");
        for (Instruction.KeyValue pair : env.pairs()) {
            if (pair.noDelim()) {
                legacyKeyValue(env.origin(), lint);
            }
            checkSecretName("ENV", pair.key(), env.origin(), lint);
            history.append(' ').append(pair.text());
            d.state = d.state.env(pair.key(), pair.value());
            d.changeConfig(c -> c.withEnv(pair.key(), pair.value()));
        }
        d.commit(history.toString(), false);
    }

    private void label(StageState d, Instruction.Label label, Linter lint) {
        StringBuilder history = new StringBuilder("LABEL");
        Map<String, String> labels = new TreeMap<>(d.image.config().labels());
        for (Instruction.KeyValue pair : label.pairs()) {
            if (pair.noDelim()) {
                legacyKeyValue(label.origin(), lint);
            }
            labels.put(pair.key(), pair.value());
            history.append(' ').append(pair.text());
        }
        d.changeConfig(c -> c.withLabels(labels));
        d.commit(history.toString(), false);
    }

    private static void legacyKeyValue(Instruction.Origin origin, Linter lint) {
        String name = origin.keyword();
        lint.run(
                LintRule.LEGACY_KEY_VALUE_FORMAT,
                origin.startLine(),
                origin.endLine(),
                "\"" + name + " key=value\" should be used instead of legacy \"" + name + " key value\" format");
    }

    static void checkSecretName(String instruction, String key, Instruction.Origin origin, Linter lint) {
        if (SECRET_WORDS.matcher(key).find() && !ALLOWED_WORDS.matcher(key).find()) {
            lint.run(
                    LintRule.SECRETS_USED_IN_ARG_OR_ENV,
                    origin.startLine(),
                    origin.endLine(),
                    "Do not use ARG or ENV instructions for sensitive data (" + instruction + " \"" + key + "\")");
        }
    }

    /**
     * WORKDIR: relative to the previous one; created (owned by the current USER) unless it is "/". From the
     * base image's config ({@code commit} false) it only sets the directory.
     */
    void workdir(StageState d, Instruction.Workdir workdir, boolean commit, Linter lint) {
        if (workdir.path().isEmpty()) {
            throw new IllegalArgumentException("normalizing workdir: cannot normalize nothing");
        }
        if (commit) {
            if (!d.workdirSet && !GoPath.isAbs(workdir.path())) {
                lint.run(
                        LintRule.WORKDIR_RELATIVE_PATH,
                        workdir.origin().startLine(),
                        workdir.origin().endLine(),
                        "Relative workdir \"" + workdir.path()
                                + "\" can have unexpected results if the base image changes");
            }
            d.workdirSet = true;
        }
        String current =
                d.image.config().workingDir().isEmpty() ? "/" : d.image.config().workingDir();
        String wd = GoPath.isAbs(workdir.path())
                ? GoPath.clean(workdir.path())
                : GoPath.clean(GoPath.join("/", current, workdir.path()));
        d.changeConfig(c -> c.withWorkingDir(wd));
        d.state = d.state.dir(wd);
        if (!commit) {
            return;
        }
        boolean withLayer = false;
        if (!wd.equals("/")) {
            List<MkdirOption> options = new ArrayList<>();
            options.add(MkdirOption.makeParents());
            if (!d.image.config().user().isEmpty()) {
                options.add(Owner.parse(d.image.config().user()));
            }
            EnvLookup env = DispatchContext.env(d.state);
            String name = ctx.prefixCommand(
                    d,
                    DispatchContext.uppercaseCmd(DispatchContext.processCmdEnv(
                            ctx.shlex, workdir.origin().code(), env)),
                    platform(d),
                    env);
            d.state = d.state.file(
                    FileAction.mkdir(wd, 0755, options.toArray(MkdirOption[]::new)),
                    OpOption.customName(name),
                    ctx.location(workdir.origin()),
                    OpOption.platform(platform(d)));
            withLayer = true;
        }
        d.commit("WORKDIR " + wd, withLayer);
    }

    Platform platform(StageState d) {
        return d.platform != null ? d.platform : ctx.targetPlatform;
    }

    void user(StageState d, String user, boolean commit) {
        d.state = d.state.user(user);
        d.changeConfig(c -> c.withUser(user));
        if (commit) {
            d.commit("USER " + user, false);
        }
    }

    private void cmd(StageState d, Instruction.Cmd cmd, Linter lint) {
        usedOnce(d.cmd, cmd.origin(), lint);
        List<String> command = commandLine(d, cmd.origin(), cmd.command(), lint);
        d.changeConfig(c -> c.withCmd(command).withArgsEscaped(true));
        d.commit("CMD " + goQuotedList(command), false);
    }

    private void entrypoint(StageState d, Instruction.Entrypoint entrypoint, Linter lint) {
        usedOnce(d.entrypoint, entrypoint.origin(), lint);
        List<String> args = commandLine(d, entrypoint.origin(), entrypoint.command(), lint);
        List<String> command = args == null ? List.of() : args;
        d.changeConfig(c -> c.withEntrypoint(command));
        if (d.cmd.origin == null) {
            d.changeConfig(c -> c.withCmd(List.of()));
        }
        d.commit("ENTRYPOINT " + goQuotedList(command), false);
    }

    /**
     * What CMD or ENTRYPOINT runs: the exec form's arguments as written (null: an ENTRYPOINT without any), the shell
     * form's command line given to the image's shell, which the JSON-arguments check warns about when it is the
     * default shell.
     */
    private static List<String> commandLine(
            StageState d, Instruction.Origin origin, Instruction.CommandForm command, Linter lint) {
        List<String> args = command.cmdLine();
        if (!command.prependShell()) {
            return args;
        }
        if (d.image.config().shell().isEmpty()) {
            jsonArgsRecommended(origin, lint);
        }
        return withShell(d.image, args == null ? List.of() : args);
    }

    private static void jsonArgsRecommended(Instruction.Origin origin, Linter lint) {
        lint.run(
                LintRule.JSON_ARGS_RECOMMENDED,
                origin.startLine(),
                origin.endLine(),
                "JSON arguments recommended for " + origin.keyword()
                        + " to prevent unintended behavior related to OS signals");
    }

    private void healthcheck(StageState d, Instruction.Healthcheck healthcheck, Linter lint) {
        usedOnce(d.healthcheck, healthcheck.origin(), lint);
        Instruction.HealthSpec h = healthcheck.health();
        d.changeConfig(c -> c.withHealthcheck(Healthcheck.of(
                h.test(),
                Duration.ofNanos(h.interval()),
                Duration.ofNanos(h.timeout()),
                Duration.ofNanos(h.startPeriod()),
                Duration.ofNanos(h.startInterval()),
                h.retries())));
        d.commit(
                "HEALTHCHECK {Test:" + goList(h.test()) + " Interval:" + GoDurations.format(h.interval())
                        + " Timeout:" + GoDurations.format(h.timeout()) + " StartPeriod:"
                        + GoDurations.format(h.startPeriod())
                        + " StartInterval:" + GoDurations.format(h.startInterval()) + " Retries:" + h.retries() + "}",
                false);
    }

    private static void usedOnce(StageState.UseTracker tracker, Instruction.Origin origin, Linter lint) {
        if (tracker.origin != null) {
            lint.run(
                    LintRule.MULTIPLE_INSTRUCTIONS_DISALLOWED,
                    tracker.origin.startLine(),
                    tracker.origin.endLine(),
                    "Multiple " + origin.keyword() + " instructions should not be used in the same stage because only "
                            + "the last one will be used");
        }
        tracker.origin = origin;
    }

    private void expose(StageState d, Instruction.Expose expose, Linter lint)
            throws ShellException, InstructionException {
        EnvLookup env = DispatchContext.env(d.state);
        List<String> ports = new ArrayList<>();
        for (String port : expose.ports()) {
            ports.addAll(ctx.shlex.processWords(port, env));
        }
        List<String> specs = ExposedPorts.parse(ports, expose.origin(), lint);
        Set<String> exposed = new TreeSet<>(d.image.config().exposedPorts());
        exposed.addAll(specs);
        d.changeConfig(c -> c.withExposedPorts(exposed));
        d.commit("EXPOSE " + goList(specs), false);
    }

    private void volume(StageState d, Instruction.Volume volume) throws InstructionException {
        Set<String> volumes = new TreeSet<>(d.image.config().volumes());
        for (String v : volume.volumes()) {
            if (v.isEmpty()) {
                throw new InstructionException("VOLUME specified can not be an empty string");
            }
            volumes.add(v);
        }
        d.changeConfig(c -> c.withVolumes(volumes));
        d.commit("VOLUME " + goList(volume.volumes()), false);
    }

    private void stopSignal(StageState d, Instruction.StopSignal stopSignal) throws InstructionException {
        Signals.parse(stopSignal.signal());
        d.changeConfig(c -> c.withStopSignal(stopSignal.signal()));
        d.commit("STOPSIGNAL " + stopSignal.signal(), false);
    }

    /**
     * ARG: a build arg wins over the default; an ARG without default inside a stage takes the global ARG's
     * value. The value becomes an environment variable of later RUN steps, not of the image.
     */
    private void arg(StageState d, Instruction.Arg arg, Linter lint) throws ShellException {
        List<String> history = new ArrayList<>();
        for (Instruction.ArgDef def : arg.args()) {
            checkSecretName("ARG", def.key(), arg.origin(), lint);
            String value = def.value();
            boolean hasBuildArg = ctx.options.buildArgs().containsKey(def.key());
            boolean inherited = value == null && !hasBuildArg && ctx.globalArgs.containsKey(def.key());
            if (inherited) {
                value = ctx.globalArgs.get(def.key());
                d.usedGlobalArgs.add(def.key());
            } else if (hasBuildArg) {
                value = ctx.options.buildArgs().get(def.key());
            } else if (value != null) {
                EnvLookup env = DispatchContext.env(d.state);
                WordResult result = ctx.shlex.processWord(value, env);
                reportUndefined(d, arg, env, result.unmatched(), lint);
                value = result.result();
            }
            if (value != null && !DispatchContext.NON_ENV_ARGS.contains(def.key())) {
                d.state = d.state.env(def.key(), value);
            }
            d.buildArgs.add(new Instruction.ArgDef(def.key(), value));
            if (!inherited) {
                d.declaredArgs.put(
                        def.key(),
                        new Outline.Arg(
                                def.key(),
                                value,
                                Outline.description(arg.origin().comments(), def.key()),
                                Outline.Lines.of(arg.origin())));
            }
            history.add(value == null ? def.key() : def.key() + "=" + value);
        }
        d.commit("ARG " + String.join(" ", history), false);
    }

    /** The stage's SHELL (default /bin/sh -c) running the command line. */
    static List<String> withShell(ImageConfig image, List<String> args) {
        List<String> shell = image.config().shell();
        List<String> command = new ArrayList<>(
                !shell.isEmpty()
                        ? shell
                        : image.os().equals("windows") ? List.of("cmd", "/S", "/C") : List.of("/bin/sh", "-c"));
        command.add(String.join(" ", args));
        return command;
    }

    private static List<String> append(List<String> values, String value) {
        List<String> more = new ArrayList<>(values);
        more.add(value);
        return more;
    }

    /** A list as Go's %v prints a []string: "[a b c]". */
    static String goList(List<String> values) {
        return "[" + String.join(" ", values) + "]";
    }

    /** A list as Go's %q prints a []string: ["a" "b"]. */
    static String goQuotedList(List<String> values) {
        return values.stream().map(GoQuoted::of).collect(Collectors.joining(" ", "[", "]"));
    }
}
