package dev.kiln.dockerfile.convert;

import dev.kiln.core.Platform;
import dev.kiln.dockerfile.DockerfileException;
import dev.kiln.dockerfile.instructions.DockerfileStages;
import dev.kiln.dockerfile.instructions.Instruction;
import dev.kiln.dockerfile.instructions.InstructionException;
import dev.kiln.dockerfile.instructions.InstructionParser;
import dev.kiln.dockerfile.instructions.Stage;
import dev.kiln.dockerfile.instructions.Suggestions;
import dev.kiln.dockerfile.parser.DockerfileParser;
import dev.kiln.dockerfile.parser.Node;
import dev.kiln.dockerfile.parser.ParsedDockerfile;
import dev.kiln.dockerfile.shell.EnvLookup;
import dev.kiln.dockerfile.shell.ShellException;
import dev.kiln.dockerfile.shell.ShellLex;
import dev.kiln.dockerfile.shell.WordResult;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.SourceMap;
import dev.kiln.llb.State;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One conversion of a Dockerfile to LLB for one target platform: the stages the target needs, their bases
 * resolved, ONBUILD triggers inserted, each instruction applied in order. A conversion is used once.
 */
final class Conversion {

    private static final String SCRATCH = "scratch";
    /** Build args that are proxy settings, by their lowercase names. */
    private static final Set<String> PROXY_ARGS =
            Set.of("http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy");

    private final ParsedDockerfile parsed;
    private final DockerfileStages dockerfile;
    private final ConvertOptions options;
    private final ConvertSources sources;
    private final SourceMap sourceMap;
    private final Linter lint;
    private final State buildContext;
    private final ShellLex shlex;
    private final StageRegistry registry = new StageRegistry();
    private final Platform targetPlatform;
    private final boolean implicitTarget;
    private Map<String, String> globalArgs;
    private final Set<String> metaArgKeys = new LinkedHashSet<>();
    /** The global ARGs as an outline lists them, with the global ARGs each one's default uses. */
    private final Map<String, GlobalArg> globalArgInfo = new LinkedHashMap<>();

    /** Every stage is converted, not only those the target reaches: the lint checks them all. */
    private final boolean allStages;

    private DispatchContext ctx;
    /** The stage the build targets, once {@link #run} has found it. */
    private StageState target;

    private record GlobalArg(Outline.Arg arg, Set<String> uses) {}

    Conversion(
            ParsedDockerfile parsed,
            DockerfileStages dockerfile,
            ConvertOptions options,
            ConvertSources sources,
            SourceMap sourceMap,
            Linter lint,
            State buildContext,
            boolean allStages) {
        this.parsed = parsed;
        this.allStages = allStages;
        this.dockerfile = dockerfile;
        this.options = options;
        this.sources = sources;
        this.sourceMap = sourceMap;
        this.lint = lint;
        this.buildContext = buildContext;
        this.shlex = new ShellLex(parsed.escapeToken());
        this.implicitTarget = options.targetPlatform() == null;
        this.targetPlatform = implicitTarget ? options.buildPlatforms().getFirst() : options.targetPlatform();
    }

    DockerfileConverter.Result run() throws InterruptedException {
        List<Stage> stages = dockerfile.stages();
        if (stages.isEmpty()) {
            throw parsed.source().error("dockerfile contains no stages to build");
        }
        Checks.parsing(parsed, dockerfile, lint);
        String targetName = options.target().isEmpty() ? stages.getLast().name() : options.target();
        globalArgs = PlatformArgs.defaults(
                options.buildPlatforms().getFirst(), targetPlatform, options.buildArgs(), targetName);
        Checks.baseImagesWithDefaultArgs(dockerfile, shlex, new LinkedHashMap<>(globalArgs), lint);
        metaArgs();
        ctx = new DispatchContext(
                options,
                lint,
                shlex,
                globalArgs,
                parsed.source(),
                sourceMap,
                buildContext,
                targetPlatform,
                registry,
                proxyEnv());
        createStages();
        target = target();
        buildDependencyGraph();
        Set<StageState> reachable = resolveStages(allStages ? List.copyOf(registry.all()) : List.of(target));
        Set<String> contextPaths = dispatchStages(reachable);
        finalizeImage(target);
        return new DockerfileConverter.Result(
                target.state,
                target.image,
                target.baseImage,
                contextPaths,
                lint.warnings(),
                targetPlatform,
                scanStages(reachable, target));
    }

    /** The build argument that asks for the SBOM of the stages it names ({@code true}: all of them), as BuildKit. */
    static final String SBOM_SCAN_STAGE = "BUILDKIT_SBOM_SCAN_STAGE";

    /**
     * The stages the target needs whose SBOM {@value #SBOM_SCAN_STAGE} asks for: its value as the stage declares it
     * (ARG, with a build argument's value over the default), as a global ARG, or as a build argument, is
     * {@code true} or a comma-separated list of stage names.
     */
    private Map<String, State> scanStages(Set<StageState> reachable, StageState target) {
        Map<String, State> stages = new LinkedHashMap<>();
        for (StageState d : reachable) {
            if (d == target || d.stageName == null || d.stageName.isEmpty()) {
                continue;
            }
            String value = options.buildArgs().get(SBOM_SCAN_STAGE);
            if (globalArgs.containsKey(SBOM_SCAN_STAGE)) {
                value = globalArgs.get(SBOM_SCAN_STAGE);
            }
            for (Instruction.ArgDef arg : d.buildArgs) {
                if (arg.key().equals(SBOM_SCAN_STAGE)) {
                    value = options.buildArgs().getOrDefault(SBOM_SCAN_STAGE, arg.value());
                }
            }
            if (value != null && enabledFor(d.stageName, value)) {
                stages.put(d.stageName, d.state);
            }
        }
        return stages;
    }

    private static boolean enabledFor(String stage, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "1", "t", "true" -> true;
            case "0", "f", "false" -> false;
            default -> List.of(value.split(",")).contains(stage);
        };
    }

    /** The ARGs before the first FROM, with build args applied; they are what FROM lines may use. */
    private void metaArgs() {
        for (Instruction.Arg arg : dockerfile.metaArgs()) {
            for (Instruction.ArgDef def : arg.args()) {
                metaArgKeys.add(def.key());
                String value;
                Set<String> uses = Set.of();
                if (options.buildArgs().containsKey(def.key())) {
                    value = options.buildArgs().get(def.key());
                } else if (def.value() != null) {
                    try {
                        WordResult expanded = shlex.processWord(def.value(), EnvLookup.of(globalArgs));
                        value = expanded.result();
                        uses = expanded.matched();
                    } catch (ShellException e) {
                        throw fail(arg.origin(), e.getMessage());
                    }
                } else {
                    value = null;
                }
                if (value != null) {
                    globalArgs.put(def.key(), value);
                }
                String description = Outline.description(arg.origin().comments(), def.key());
                globalArgInfo.put(
                        def.key(),
                        new GlobalArg(
                                new Outline.Arg(def.key(), value, description, Outline.Lines.of(arg.origin())), uses));
            }
        }
    }

    private Set<String> argKeys() {
        Set<String> keys = new LinkedHashSet<>(metaArgKeys);
        keys.addAll(globalArgs.keySet());
        return keys;
    }

    private void createStages() {
        List<Stage> stages = dockerfile.stages();
        for (int i = 0; i < stages.size(); i++) {
            Stage stage = stages.get(i);
            Instruction.From from = stage.from();
            Linter stageLint = lint.withComments(from.origin().comments());
            WordResult name = expandInFrom(from, from.baseName(), stageLint, "");
            if (name.result().isEmpty()) {
                throw fail(from.origin(), "base name (" + from.baseName() + ") should not be blank");
            }
            StageState state = new StageState(stage, name.result());
            state.usedGlobalArgs.addAll(name.matched());
            if (!from.platform().isEmpty()) {
                WordResult platform =
                        expandInFrom(from, from.platform(), stageLint, "failed to process arguments for platform ");
                state.usedGlobalArgs.addAll(platform.matched());
                Checks.fromPlatform(from, platform, globalArgs, stageLint);
                if (platform.result().isEmpty()) {
                    throw fail(from.origin(), "empty platform value from expression " + from.platform());
                }
                try {
                    state.platform = Platforms.parse(platform.result(), targetPlatform);
                } catch (IllegalArgumentException e) {
                    throw fail(from.origin(), "failed to parse platform " + from.platform() + ": " + e.getMessage());
                }
            }
            if (!stage.name().isEmpty()
                    && !stage.name().equals(SCRATCH)
                    && !stage.name().equals("context")) {
                Optional<ConvertSources.NamedContext> context =
                        sources.namedContext(stage.name(), state.platform != null ? state.platform : targetPlatform);
                if (context.isPresent()) {
                    state.namedContext = context.get();
                    registry.add(state);
                    state.base = null;
                    continue;
                }
            }
            if (stage.name().isEmpty()) {
                state.stageName = "stage-" + i;
            }
            registry.add(state);
            int total = !state.baseName.equals(SCRATCH) && state.base == null ? 1 : 0;
            for (Instruction command : stage.commands()) {
                if (command instanceof Instruction.Add
                        || command instanceof Instruction.Copy
                        || command instanceof Instruction.Run
                        || command instanceof Instruction.Workdir) {
                    total++;
                }
            }
            state.cmdTotal = total;
            state.ignoreCache = options.ignoresCache(stage.name());
        }
    }

    /** Expands a FROM word against the global ARGs, warning about ARGs that were never declared. */
    private WordResult expandInFrom(Instruction.From from, String word, Linter stageLint, String errorPrefix) {
        WordResult result;
        try {
            result = shlex.processWord(word, EnvLookup.of(globalArgs));
        } catch (ShellException e) {
            throw fail(from.origin(), errorPrefix + e.getMessage());
        }
        Set<String> known = argKeys();
        for (String unmatched : result.unmatched()) {
            if (!known.contains(unmatched)) {
                stageLint.run(
                        LintRule.UNDEFINED_ARG_IN_FROM,
                        from.origin().startLine(),
                        from.origin().endLine(),
                        "FROM argument '" + unmatched + "' is not declared"
                                + Suggestions.closest(unmatched, known, true)
                                        .map(s -> " (did you mean " + s + "?)")
                                        .orElse(""));
            }
        }
        return result;
    }

    private StageState target() {
        if (options.target().isEmpty()) {
            return registry.last();
        }
        return registry.byName(options.target())
                .orElseThrow(() -> parsed.source()
                        .error(Suggestions.wrap(
                                        "target stage \"" + options.target() + "\" could not be found",
                                        options.target(),
                                        registry.names(),
                                        true)
                                + "; the stages are: " + String.join(", ", registry.names())));
    }

    private void buildDependencyGraph() {
        for (StageState d : List.copyOf(registry.all())) {
            if (d.stage == null) {
                continue;
            }
            List<StageState.Command> commands = new ArrayList<>();
            for (Instruction instruction : d.stage.commands()) {
                StageState.Command command = toCommand(instruction, false);
                commands.add(command);
                addDeps(d, command);
            }
            d.commands = commands;
        }
        Checks.noCycles(registry.all(), parsed.source());
        if (registry.all().size() == 1) {
            registry.all().getFirst().stageName = "";
        }
    }

    private void addDeps(StageState d, StageState.Command command) {
        for (StageState source : command.sources()) {
            if (source != null) {
                d.deps.put(source, command.instruction());
                if (source.unregistered && !registry.all().contains(source)) {
                    registry.add(source);
                }
            }
        }
    }

    /** An instruction with the stages it reads: COPY --from's, and one per RUN mount ("scratch" when none). */
    private StageState.Command toCommand(Instruction instruction, boolean onBuild) {
        List<StageState> sourceStates = new ArrayList<>();
        if (instruction instanceof Instruction.Copy copy && !copy.from().isEmpty()) {
            String expanded;
            try {
                expanded = shlex.processWord(copy.from(), EnvLookup.EMPTY).result();
            } catch (ShellException e) {
                throw fail(copy.origin(), e.getMessage());
            }
            if (!expanded.equals(copy.from())) {
                throw fail(
                        copy.origin(),
                        "variable expansion is not supported for --from, define a new stage with "
                                + "FROM using ARG from global scope as a workaround");
            }
            sourceStates.add(stageFor(copy.from(), copy.origin(), true));
        }
        if (instruction instanceof Instruction.Run run) {
            for (String from : run.mountSources()) {
                sourceStates.add(stageFor(from.isEmpty() ? SCRATCH : from, run.origin(), false));
            }
        }
        return new StageState.Command(instruction, sourceStates, onBuild);
    }

    private StageState stageFor(String from, Instruction.Origin origin, boolean allowIndex) {
        if (allowIndex && from.chars().allMatch(Character::isDigit) && !from.isEmpty()) {
            int index;
            try {
                index = Integer.parseInt(from);
            } catch (NumberFormatException e) {
                throw fail(origin, "invalid stage index " + from);
            }
            return registry.byIndex(index).orElseThrow(() -> fail(origin, "invalid stage index " + index));
        }
        return registry.byName(from).orElseGet(() -> new StageState(from, origin));
    }

    /** Resolves the bases of every stage the target needs, repeating while ONBUILD triggers add dependencies. */
    private Set<StageState> resolveStages(List<StageState> roots) throws InterruptedException {
        while (true) {
            Set<StageState> reachable = reachableFrom(roots);
            resolveBases(reachable);
            boolean newDeps = false;
            for (StageState d : reachable) {
                d.inheritFromBase();
                List<String> triggers = new ArrayList<>(d.image.config().onBuild());
                if (d.base != null && !d.onBuildInit) {
                    for (StageState.Command command : d.base.commands) {
                        if (command.instruction() instanceof Instruction.Onbuild onbuild) {
                            triggers.add(onbuild.expression());
                        }
                    }
                    d.onBuildInit = true;
                }
                if (!triggers.isEmpty()) {
                    newDeps |= insertTriggers(d, triggers);
                    d.changeConfig(c -> c.withOnBuild(List.of()));
                }
            }
            if (!newDeps) {
                return reachable;
            }
        }
    }

    /** The roots, their base stages and the stages they copy or mount from, recursively, in a stable order. */
    private static Set<StageState> reachableFrom(List<StageState> roots) {
        Set<StageState> reachable = new LinkedHashSet<>();
        List<StageState> pending = new ArrayList<>(roots);
        while (!pending.isEmpty()) {
            StageState next = pending.removeFirst();
            if (!reachable.add(next)) {
                continue;
            }
            if (next.base != null) {
                pending.add(next.base);
            }
            pending.addAll(next.deps.keySet());
        }
        return reachable;
    }

    /** ONBUILD triggers of a stage's base run first in the stage, as if written right after its FROM. */
    private boolean insertTriggers(StageState d, List<String> triggers) {
        boolean newDeps = false;
        List<StageState.Command> commands = new ArrayList<>();
        Instruction.Origin at = d.from.origin();
        for (String trigger : triggers) {
            Instruction instruction;
            try {
                ParsedDockerfile one =
                        DockerfileParser.parse(parsed.source().name(), trigger.getBytes(StandardCharsets.UTF_8));
                if (one.nodes().size() != 1) {
                    throw fail(at, "onbuild trigger should be a single expression");
                }
                Node node = one.nodes().getFirst().relocated(at.startLine(), at.endLine());
                instruction = InstructionParser.parse(node);
            } catch (DockerfileException e) {
                throw fail(at, e.reason());
            } catch (InstructionException e) {
                throw fail(at, e.getMessage());
            }
            if (instruction instanceof Instruction.From || instruction instanceof Instruction.Onbuild) {
                throw fail(
                        at,
                        instruction.origin().keyword().toUpperCase(Locale.ROOT)
                                + " isn't allowed as an ONBUILD trigger");
            }
            StageState.Command command = toCommand(instruction, true);
            if (!command.sources().isEmpty()) {
                newDeps = true;
            }
            commands.add(command);
            addDeps(d, command);
        }
        commands.addAll(d.commands);
        d.commands = commands;
        d.cmdTotal += triggers.size();
        return newDeps;
    }

    /** Bases are looked up in parallel: each may ask a registry for an image config. */
    private void resolveBases(Set<StageState> reachable) throws InterruptedException {
        List<java.util.concurrent.Callable<Void>> lookups = new ArrayList<>();
        for (StageState d : List.copyOf(registry.all())) {
            boolean needed = reachable.contains(d);
            if (d.base != null || d.dispatched || d.resolved) {
                continue;
            }
            d.resolved = needed;
            if (d.baseName.equals(SCRATCH) && d.namedContext == null) {
                d.state = State.scratch();
                Platform platform = d.platform != null ? d.platform : targetPlatform;
                d.image = StageConfigs.scratch(platform);
                d.platform = platform;
                if (d.unregistered) {
                    d.dispatched = true;
                }
                continue;
            }
            lookups.add(() -> {
                BaseResolution.resolve(this, d, needed);
                return null;
            });
        }
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Void>> running = new ArrayList<>();
            for (java.util.concurrent.Callable<Void> lookup : lookups) {
                running.add(threads.submit(lookup));
            }
            for (Future<Void> future : running) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case RuntimeException runtime -> throw runtime;
                        case InterruptedException interrupted -> throw interrupted;
                        default -> throw new IllegalStateException("base image lookup failed", e.getCause());
                    }
                }
            }
        }
    }

    private Set<String> dispatchStages(Set<StageState> reachable) throws InterruptedException {
        Set<String> contextPaths = new TreeSet<>();
        Dispatcher dispatcher = new Dispatcher(ctx);
        for (StageState d : List.copyOf(registry.all())) {
            if (!reachable.contains(d) || d.dispatched) {
                continue;
            }
            d.inheritFromBase();
            d.dispatched = true;
            if (d.platform == null) {
                d.platform = targetPlatform;
            }
            List<String> env = d.image.config().env();
            boolean hasPath = env.stream().anyMatch(e -> StageConfigs.envKey(e).equals("PATH"));
            if (!hasPath && !d.platform.os().equals("windows")) {
                List<String> withPath = new ArrayList<>(env);
                withPath.add("PATH=" + Platforms.defaultPath(d.platform.os()));
                d.changeConfig(c -> c.withEnv(withPath));
            }
            for (String entry : d.image.config().env()) {
                d.state = d.state.env(StageConfigs.envKey(entry), StageConfigs.envValue(entry));
            }
            if (!options.hostname().isEmpty()) {
                d.state = d.state.hostname(options.hostname());
            }
            String workingDir = d.image.config().workingDir();
            if (!workingDir.isEmpty()) {
                dispatcher.workdir(d, new Instruction.Workdir(d.from.origin(), workingDir), false, lint);
            }
            String user = d.image.config().user();
            if (!user.isEmpty()) {
                dispatcher.user(d, user, false);
            }
            if (options.forceNetwork() != null) {
                d.state = d.state.network(options.forceNetwork());
            }
            for (StageState.Command command : d.commands) {
                dispatcher.dispatch(d, command);
            }
            contextPaths.addAll(d.ctxPaths);
        }
        return contextPaths;
    }

    /**
     * The target's outline, once {@link #run} has converted it: the ARGs, secrets and SSH sockets of the stages it
     * reaches; a global ARG counts when a FROM uses it, an ARG without a default takes it, or another counted global
     * ARG's default uses it. Where two stages declare one ARG, the first reached is listed.
     */
    Outline outline() {
        Map<String, Outline.Arg> args = new LinkedHashMap<>();
        Map<String, Outline.ClientMount> secrets = new LinkedHashMap<>();
        Map<String, Outline.ClientMount> ssh = new LinkedHashMap<>();
        for (StageState d : reachableFrom(List.of(target))) {
            d.declaredArgs.forEach(args::putIfAbsent);
            for (String key : globalArgsUsed(d.usedGlobalArgs)) {
                if (!d.declaredArgs.containsKey(key) && globalArgInfo.containsKey(key)) {
                    args.putIfAbsent(key, globalArgInfo.get(key).arg());
                }
            }
            d.secrets.forEach(secrets::putIfAbsent);
            d.sshSockets.forEach(ssh::putIfAbsent);
        }
        return new Outline(
                target.name(),
                Outline.description(target.from.origin().comments(), target.name()),
                List.copyOf(args.values()),
                List.copyOf(secrets.values()),
                List.copyOf(ssh.values()));
    }

    /** {@code used} with the global ARGs their defaults use, transitively. */
    private Set<String> globalArgsUsed(Set<String> used) {
        Set<String> all = new LinkedHashSet<>();
        List<String> pending = new ArrayList<>(used);
        while (!pending.isEmpty()) {
            String key = pending.removeFirst();
            GlobalArg arg = globalArgInfo.get(key);
            if (all.add(key) && arg != null) {
                pending.addAll(arg.uses());
            }
        }
        return all;
    }

    private void finalizeImage(StageState target) {
        if (!options.labels().isEmpty()) {
            Map<String, String> labels = new TreeMap<>(target.image.config().labels());
            labels.putAll(options.labels());
            target.changeConfig(c -> c.withLabels(labels));
        }
        lint.error().ifPresent(message -> {
            throw parsed.source().error(message);
        });
        Platform image = target.image.platform();
        String os = image.os();
        String architecture = image.architecture();
        String variant = image.variant();
        String osVersion = image.osVersion();
        if (!implicitTarget) {
            boolean sameOsArch = targetPlatform.os().equals(os)
                    && targetPlatform.architecture().equals(architecture);
            os = targetPlatform.os();
            architecture = targetPlatform.architecture();
            if (!targetPlatform.variant().isEmpty() || !sameOsArch) {
                variant = targetPlatform.variant();
            }
            if (!targetPlatform.osVersion().isEmpty() || !sameOsArch) {
                osVersion = targetPlatform.osVersion();
            }
        }
        if (!os.isEmpty() && !architecture.isEmpty()) {
            // os, architecture and variant in their normal names; os features stay as the config lists them
            Platform normal = new Platform(os, architecture, variant, osVersion, image.osFeatures()).normalize();
            os = normal.os();
            architecture = normal.architecture();
            variant = normal.variant();
        }
        target.image =
                target.image.withPlatform(new Platform(os, architecture, variant, osVersion, image.osFeatures()));
    }

    /**
     * Build args named like proxy variables, in any case, reach every RUN without an ARG, as the step's proxy
     * settings rather than its env: the worker sets both spellings, and neither the image config, the history
     * nor the cache key sees them (BuildKit's proxyEnvFromBuildArgs). Null when no build arg is one.
     */
    private RunOption.Proxy proxyEnv() {
        Map<String, String> proxies = new HashMap<>();
        // sorted, so that of two spellings of one variable the lowercase one wins on every build
        for (Map.Entry<String, String> arg : new TreeMap<>(options.buildArgs()).entrySet()) {
            String key = arg.getKey().toLowerCase(Locale.ROOT);
            if (PROXY_ARGS.contains(key)) {
                proxies.put(key, arg.getValue());
            }
        }
        if (proxies.isEmpty()) {
            return null;
        }
        return RunOption.proxy(
                proxies.getOrDefault("http_proxy", ""),
                proxies.getOrDefault("https_proxy", ""),
                proxies.getOrDefault("ftp_proxy", ""),
                proxies.getOrDefault("no_proxy", ""),
                proxies.getOrDefault("all_proxy", ""));
    }

    // Used by BaseResolution, which takes the rest of what it needs from the context.

    ConvertSources sources() {
        return sources;
    }

    boolean implicitTarget() {
        return implicitTarget;
    }

    DispatchContext context() {
        return ctx;
    }

    DockerfileException fail(Instruction.Origin origin, String reason) {
        return parsed.source().error(origin.startLine(), origin.endLine(), reason);
    }
}
