package dev.kiln.llb;

import dev.kiln.core.Platform;
import dev.kiln.llb.pb.Definition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A filesystem and how to make it: the output of an op (or nothing, for scratch) plus the
 * settings later run steps take from it (environment, working directory, user, platform, ...).
 *
 * <p>A state never changes; every method returns a new one. Nothing runs here: {@link #marshal()}
 * turns the graph behind a state into an LLB {@link Definition} for a solver.
 */
public final class State {

    private static final State SCRATCH = new State(null, RunDefaults.INITIAL);

    private final NodeOutput output;
    private final RunDefaults defaults;

    private State(NodeOutput output, RunDefaults defaults) {
        this.output = output;
        this.defaults = defaults;
    }

    /** A fresh state for {@code output}: default settings, and the output's platform if it has one. */
    static State of(NodeOutput output) {
        return SCRATCH.withOutput(output);
    }

    /** Same settings, another filesystem. */
    State withOutput(NodeOutput newOutput) {
        RunDefaults settings = defaults;
        if (newOutput != null && newOutput.node().outputPlatform() != null) {
            Platform platform = newOutput.node().outputPlatform().normalize();
            settings = settings.with(s -> s.platform = platform);
        }
        return new State(newOutput, settings);
    }

    /**
     * The state of one output of a decoded graph, as a solved reference's {@code toState()} gives
     * it: building on it keeps every op of the graph with its original bytes and digest.
     */
    public static State fromGraph(LlbEdge output) {
        return of(new NodeOutput(DecodedNode.of(output.vertex()), output.index()));
    }

    /** The state a definition produces: its output, or scratch for an empty definition. */
    public static State fromDefinition(Definition definition) {
        return LlbGraph.decode(definition).output().map(State::fromGraph).orElse(SCRATCH);
    }

    /** The empty filesystem. */
    public static State scratch() {
        return SCRATCH;
    }

    /** A directory of the client, by the name the client gives it (e.g. "context"); identifier local://NAME. */
    public static State local(String name, LocalOption... options) {
        return of(new NodeOutput(Sources.local(name, options), 0));
    }

    /**
     * A container image. The reference is normalised as Docker does ("busybox" is
     * docker-image://docker.io/library/busybox:latest; a digest is kept).
     *
     * @throws IllegalArgumentException if {@code reference} is not a valid image reference
     */
    public static State image(String reference, ImageOption... options) {
        return of(new NodeOutput(Sources.image(reference, options), 0));
    }

    /**
     * A git repository checkout: {@code remote} as git accepts it (https URL, ssh URL, user@host:path;
     * no scheme means https), {@code ref} the branch, tag or commit, optionally "ref:subdir" ("" for the
     * remote's default branch). The identifier is git://HOST/PATH#REF as BuildKit writes it.
     */
    public static State git(String remote, String ref, GitOption... options) {
        return of(new NodeOutput(Sources.git(remote, ref == null ? "" : ref, options), 0));
    }

    /** A file downloaded from an http or https URL. */
    public static State http(String url, HttpOption... options) {
        return of(new NodeOutput(Sources.http(url, options), 0));
    }

    /** An image from an OCI layout the client exposes (oci-layout://REF). */
    public static State ociLayout(String reference, OciLayoutOption... options) {
        return of(new NodeOutput(Sources.ociLayout(reference, options), 0));
    }

    /**
     * The inputs' filesystems layered in order, later ones on top. Scratch inputs are dropped; a
     * single remaining input is returned as is. The result keeps the first input's settings.
     */
    public static State merge(List<State> inputs, OpOption... options) {
        List<State> layers = inputs.stream().filter(state -> !state.isScratch()).toList();
        if (layers.isEmpty()) {
            return scratch();
        }
        if (layers.size() == 1) {
            return layers.getFirst();
        }
        List<NodeOutput> outputs = layers.stream().map(State::output).toList();
        return layers.getFirst()
                .withOutput(new NodeOutput(new MergeNode(outputs, OpConstraints.of((Object[]) options)), 0));
    }

    /**
     * What changed from {@code lower} to {@code upper}, as a filesystem to merge elsewhere. Against
     * scratch the diff is {@code upper} itself. The result keeps {@code lower}'s settings.
     */
    public static State diff(State lower, State upper, OpOption... options) {
        if (lower.isScratch()) {
            return upper;
        }
        return lower.withOutput(
                new NodeOutput(new DiffNode(lower.output, upper.output, OpConstraints.of((Object[]) options)), 0));
    }

    /**
     * A run step on this state's filesystem. The command comes from {@link RunOption#args},
     * {@link RunOption#sh} or {@link RunOption#shlex}; environment, directory, user and modes come
     * from this state unless an option overrides them for this step.
     */
    public ExecState run(RunOption... options) {
        RunDefaults settings = defaults;
        List<String> args = null;
        List<Integer> validExitCodes = null;
        RunOption.Proxy proxy = null;
        boolean readonlyRoot = false;
        List<RunOption.MountAt> extraMounts = new ArrayList<>();
        List<RunOption.Secret> secrets = new ArrayList<>();
        List<RunOption.Ssh> sshSockets = new ArrayList<>();
        for (RunOption option : options) {
            switch (option) {
                case RunOption.Args a -> args = a.args();
                case RunOption.Env e -> settings = settings.withEnv(e.key(), e.value());
                case RunOption.Dir d -> settings = settings.withDir(d.dir());
                case RunOption.User u -> settings = settings.with(s -> s.user = u.user());
                case RunOption.Hostname h -> settings = settings.with(s -> s.hostname = h.hostname());
                case RunOption.Network n -> settings = settings.with(s -> s.network = n.mode());
                case RunOption.Security m -> settings = settings.with(s -> s.security = m.mode());
                case RunOption.ExtraHost h -> settings = settings.withExtraHost(h);
                case RunOption.Ulimit u -> settings = settings.withUlimit(u);
                case RunOption.CgroupParent c -> settings = settings.with(s -> s.cgroupParent = c.parent());
                case RunOption.ValidExitCodes c -> validExitCodes = c.codes();
                case RunOption.Proxy p -> proxy = p;
                case RunOption.ReadonlyRootfs ignored -> readonlyRoot = true;
                case RunOption.MountAt m -> extraMounts.add(m);
                case RunOption.Secret s -> secrets.add(s);
                case RunOption.Ssh s -> sshSockets.add(s);
                case OpOption ignored -> {}
            }
        }
        if (args == null) {
            throw new IllegalArgumentException(
                    "a run step needs a command: RunOption.args(...), sh(...) or shlex(...)");
        }
        List<ExecNode.MountPoint> mounts = new ArrayList<>();
        mounts.add(new ExecNode.MountPoint(ExecNode.ROOT, output, "", readonlyRoot, false, null, null, -1));
        Set<String> destinations = new HashSet<>(Set.of(ExecNode.ROOT));
        for (RunOption.MountAt at : extraMounts) {
            if (!destinations.add(at.dest())) {
                throw new IllegalArgumentException("two mounts at " + at.dest() + " in one run step");
            }
            mounts.add(
                    switch (at.mount()) {
                        case Mount.Bind b ->
                            new ExecNode.MountPoint(
                                    at.dest(),
                                    b.source().output,
                                    b.selector(),
                                    b.readonly(),
                                    b.noOutput(),
                                    null,
                                    null,
                                    -1);
                        case Mount.Cache c ->
                            new ExecNode.MountPoint(
                                    at.dest(), c.from().output, c.selector(), false, false, c, null, -1);
                        case Mount.Tmpfs t -> new ExecNode.MountPoint(at.dest(), null, "", false, false, null, t, -1);
                    });
        }
        ExecNode exec = new ExecNode(
                settings, args, validExitCodes, proxy, mounts, secrets, sshSockets, OpConstraints.of((Object[])
                        options));
        return new ExecState(this, exec);
    }

    /** File actions (mkdir, mkfile, rm, copy, symlink) applied to this state's filesystem as one op. */
    public State file(FileAction action, OpOption... options) {
        List<FileStep> steps = switch (action) {
            case FileActions actions -> actions.steps();
        };
        return withOutput(new NodeOutput(new FileNode(this, steps, OpConstraints.of((Object[]) options)), 0));
    }

    /** Sets an environment variable for later run steps (set again, it moves to the end of the list). */
    public State env(String key, String value) {
        return new State(output, defaults.withEnv(key, value));
    }

    /** The working directory for later run steps and relative file paths; relative to the current one. */
    public State dir(String dir) {
        return new State(output, defaults.withDir(dir));
    }

    public State user(String user) {
        return new State(output, defaults.with(s -> s.user = user));
    }

    public State hostname(String hostname) {
        return new State(output, defaults.with(s -> s.hostname = hostname));
    }

    /** The platform run steps on this state use (normalised, e.g. aarch64 becomes arm64). */
    public State platform(Platform platform) {
        Platform normal = platform.normalize();
        return new State(output, defaults.with(s -> s.platform = normal));
    }

    public State network(NetMode mode) {
        return new State(output, defaults.with(s -> s.network = mode));
    }

    public State security(SecurityMode mode) {
        return new State(output, defaults.with(s -> s.security = mode));
    }

    /** An /etc/hosts entry for later run steps. */
    public State extraHost(String host, String ip) {
        return new State(output, defaults.withExtraHost(new RunOption.ExtraHost(host, ip)));
    }

    public Optional<String> getEnv(String key) {
        return Optional.ofNullable(defaults.env().get(key));
    }

    /** The environment, in the order run steps get it. */
    public Map<String, String> getEnvMap() {
        return defaults.env();
    }

    public String getDir() {
        return defaults.dir();
    }

    public String getUser() {
        return defaults.user();
    }

    public String getHostname() {
        return defaults.hostname();
    }

    public Optional<Platform> getPlatform() {
        return Optional.ofNullable(defaults.platform());
    }

    public NetMode getNetwork() {
        return defaults.network();
    }

    public SecurityMode getSecurity() {
        return defaults.security();
    }

    public boolean isScratch() {
        return output == null;
    }

    /** The definition of this state's graph, for this machine's platform. */
    public Definition marshal() {
        return marshal(MarshalOptions.defaults());
    }

    /** The definition of this state's graph, with {@code defaultPlatform} for ops that set none. */
    public Definition marshal(Platform defaultPlatform) {
        return marshal(MarshalOptions.defaults().withDefaultPlatform(defaultPlatform));
    }

    /**
     * The definition of this state's graph: each op once, inputs before users, then the terminal
     * op naming this state's output; metadata by op digest; source locations if ops have any.
     * Scratch is the empty definition.
     */
    public Definition marshal(MarshalOptions options) {
        return new DefinitionWriter(options).write(output);
    }

    NodeOutput output() {
        return output;
    }

    @Override
    public String toString() {
        return output == null ? "State[scratch]" : "State[" + output.node() + " #" + output.index() + "]";
    }
}
