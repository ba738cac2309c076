package dev.kiln.dockerfile.convert;

import dev.kiln.core.GoPath;
import dev.kiln.dockerfile.instructions.Expander;
import dev.kiln.dockerfile.instructions.Instruction;
import dev.kiln.dockerfile.instructions.InstructionException;
import dev.kiln.dockerfile.instructions.RunMount;
import dev.kiln.dockerfile.parser.Heredoc;
import dev.kiln.dockerfile.parser.Heredocs;
import dev.kiln.dockerfile.shell.EnvLookup;
import dev.kiln.dockerfile.shell.ShellException;
import dev.kiln.llb.CacheSharing;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.MkdirOption;
import dev.kiln.llb.Mount;
import dev.kiln.llb.NetMode;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.Owner;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.SecurityMode;
import dev.kiln.llb.State;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** RUN: the command (shell or exec form, heredocs), its mounts, network and security, as one exec op. */
record RunDispatch(DispatchContext ctx, StageState d) {

    private static final String PIPES = "/dev/pipes/";

    void run(Instruction.Run run, List<StageState> sources, Expander expander)
            throws InstructionException, ShellException {
        List<RunOption> options = new ArrayList<>();
        String customName = run.origin().code();
        // a RUN step may read anything of its stage, so a named context it runs on is needed whole
        d.paths.add("/");
        List<String> args = run.command().cmdLine();
        List<Instruction.InlineFile> files = run.command().files();
        if (!files.isEmpty()) {
            if (args.size() != 1 || !run.command().prependShell()) {
                throw new InstructionException("parsing produced an invalid run command: " + args);
            }
            Optional<Heredoc> single = Heredocs.parseQuietly(args.getFirst());
            if (single.isPresent()) {
                Instruction.InlineFile file = files.getFirst();
                String data = file.chomp() ? Heredoc.chompContent(file.data()) : file.data();
                if (!d.image.os().equals("windows") && data.startsWith("#!")) {
                    // a script with its own interpreter: written to a file and run as a program
                    State script = State.scratch()
                            .dir("/")
                            .file(
                                    FileAction.mkfile(
                                            file.name(), 0755, data.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                                    OpOption.customName("[internal] preparing inline document"),
                                    OpOption.platform(platform()));
                    options.add(RunOption.mount(
                            PIPES, Mount.bind(script).withSelector("/").asReadonly()));
                    args = List.of(GoPath.join(PIPES, file.name()));
                } else {
                    // the content goes to the shell as its script, so shells without heredocs work too
                    args = List.of(data);
                }
                customName += " (" + summarize(file.data()) + ")";
            } else {
                StringBuilder full = new StringBuilder(args.getFirst());
                for (Instruction.InlineFile file : files) {
                    full.append('\n').append(file.data()).append(file.name());
                }
                args = List.of(full.toString());
            }
        }
        if (run.command().prependShell()) {
            args = Dispatcher.withShell(d.image, args);
        }
        if (args.isEmpty()) {
            throw new InstructionException("RUN requires at least one argument");
        }
        options.add(RunOption.args(args));
        options.add(DispatchContext.dockerfileCommand(run.origin().code()));
        options.add(ctx.location(run.origin()));
        if (d.ignoreCache) {
            options.add(OpOption.ignoreCache());
        }
        if (ctx.proxyEnv != null) {
            options.add(ctx.proxyEnv);
        }
        List<RunMount> mounts = run.mounts(expander);
        Map<String, String> secretEnvMask = new LinkedHashMap<>();
        options.addAll(mounts(mounts, sources, run, secretEnvMask));
        if (run.security().equals("insecure")) {
            options.add(RunOption.security(SecurityMode.INSECURE));
        }
        switch (run.network()) {
            case "none" -> options.add(RunOption.network(NetMode.NONE));
            case "host" -> options.add(RunOption.network(NetMode.HOST));
            default -> {}
        }
        for (RunOption.Ulimit ulimit : ctx.options.ulimits()) {
            options.add(ulimit);
        }
        for (RunOption.ExtraHost host : ctx.options.extraHosts()) {
            options.add(host);
        }
        if (ctx.options.shmSize() > 0) {
            options.add(RunOption.mount("/dev/shm", Mount.tmpfs(ctx.options.shmSize())));
        }
        if (!ctx.options.cgroupParent().isEmpty()) {
            options.add(RunOption.cgroupParent(ctx.options.cgroupParent()));
        }
        EnvLookup env = DispatchContext.env(d.state);
        Map<String, String> masked = new LinkedHashMap<>(d.state.getEnvMap());
        secretEnvMask.forEach((k, v) -> {
            masked.remove(k);
            masked.put(k, v);
        });
        String shown = DispatchContext.processCmdEnv(
                ctx.shlex.withRawQuotes(true).withSkipUnsetEnv(true), customName, EnvLookup.of(masked));
        options.add(OpOption.customName(ctx.prefixCommand(
                d, DispatchContext.uppercaseCmd(shown), d.state.getPlatform().orElse(ctx.targetPlatform), env)));
        d.state = d.state.run(options.toArray(RunOption[]::new)).root();
        d.commit("RUN " + runCommandString(args, env) + " # buildkit", true);
    }

    private dev.kiln.core.Platform platform() {
        return d.platform != null ? d.platform : ctx.targetPlatform;
    }

    private List<RunOption> mounts(
            List<RunMount> mounts, List<StageState> sources, Instruction.Run run, Map<String, String> secretEnvMask)
            throws InstructionException {
        List<RunOption> out = new ArrayList<>();
        for (int i = 0; i < mounts.size(); i++) {
            RunMount mount = mounts.get(i);
            String from = mount.from();
            if (from.isEmpty() && mount.type() == RunMount.Type.CACHE) {
                from = "scratch";
            }
            State source = ctx.buildContext;
            StageState fromStage = null;
            if (!from.isEmpty()) {
                fromStage = i < sources.size() ? sources.get(i) : null;
                if (fromStage == null || !fromStage.dispatched) {
                    throw new InstructionException("cannot mount from stage \"" + from + "\" to \"" + mount.target()
                            + "\", stage needs to be defined before current command");
                }
                source = fromStage.state;
            }
            switch (mount.type()) {
                case SECRET -> {
                    out.add(secret(mount, secretEnvMask));
                    String id = secretId(mount);
                    d.secrets.putIfAbsent(
                            id, new Outline.ClientMount(id, mount.required(), Outline.Lines.of(run.origin())));
                    continue;
                }
                case SSH -> {
                    out.add(ssh(mount));
                    String id = mount.cacheId().isEmpty() ? "default" : mount.cacheId();
                    d.sshSockets.putIfAbsent(
                            id, new Outline.ClientMount(id, mount.required(), Outline.Lines.of(run.origin())));
                    continue;
                }
                default -> {}
            }
            String target = mount.target();
            if (!GoPath.isAbs(GoPath.clean(target))) {
                target = GoPath.join("/", d.state.getDir(), target);
            }
            if (target.equals("/")) {
                throw new InstructionException("invalid mount target \"" + target + "\"");
            }
            String selector = GoPath.join("/", mount.source());
            Mount llbMount = switch (mount.type()) {
                case TMPFS -> Mount.tmpfs(mount.sizeLimit());
                case CACHE -> {
                    CacheSharing sharing = switch (mount.sharing()) {
                        case "private" -> CacheSharing.PRIVATE;
                        case "locked" -> CacheSharing.LOCKED;
                        default -> CacheSharing.SHARED;
                    };
                    String id = mount.cacheId().isEmpty() ? GoPath.clean(mount.target()) : mount.cacheId();
                    boolean defaultOwnership = (mount.uid() == null || mount.uid() == 0)
                            && (mount.gid() == null || mount.gid() == 0)
                            && (mount.mode() == null || mount.mode() == 0755);
                    Mount.Cache cache = Mount.cache(ctx.options.cacheIdNamespace() + "/" + id, sharing);
                    if (!defaultOwnership && mount.from().isEmpty()) {
                        // As BuildKit does: a new cache starts as a /cache directory with the asked owner and mode.
                        int uid = mount.uid() == null ? 0 : mount.uid();
                        int gid = mount.gid() == null ? 0 : mount.gid();
                        int mode = mount.mode() == null ? 0755 : mount.mode();
                        State seed = State.scratch()
                                .file(FileAction.mkdir("/cache", mode, MkdirOption.makeParents(), Owner.ids(uid, gid)));
                        yield cache.seededFrom(seed).withSelector("/cache");
                    }
                    cache = cache.seededFrom(source);
                    yield selector.equals("/") ? cache : cache.withSelector(selector);
                }
                default -> {
                    Mount.Bind bind = Mount.bind(source);
                    if (!selector.equals("/")) {
                        bind = bind.withSelector(selector);
                    }
                    if (mount.readonly()) {
                        bind = bind.asReadonly();
                    } else if (ctx.options.llbCaps().contains("exec.mount.bind.readwrite-nooutput")) {
                        bind = bind.withoutOutput();
                    }
                    yield bind;
                }
            };
            out.add(RunOption.mount(target, llbMount));
            if (mount.from().isEmpty() && mount.type() != RunMount.Type.CACHE) {
                d.ctxPaths.add(selector);
            } else if (fromStage != null) {
                fromStage.paths.add(selector);
            }
        }
        return out;
    }

    /** A secret as a file (default /run/secrets/ID, mode 0400) or as an environment variable ({@code env=}). */
    private RunOption secret(RunMount mount, Map<String, String> secretEnvMask) throws InstructionException {
        String id = secretId(mount);
        RunOption.Secret secret;
        if (mount.env() != null) {
            secret = RunOption.secretEnv(id, mount.env());
            secretEnvMask.put(mount.env(), "****");
            if (!mount.target().isEmpty()) {
                // a secret may be a variable and a file at once in BuildKit; Kiln's LLB has one or the other
                throw new InstructionException("secret " + id + ": env= and target= together are not supported yet");
            }
        } else {
            String dest = mount.target().isEmpty() ? "/run/secrets/" + GoPath.base(id) : mount.target();
            secret = RunOption.secret(id, dest);
        }
        return clientMount(secret, mount, 0400);
    }

    /** A secret's id: its source, else its id, else the base name of its target. */
    private static String secretId(RunMount mount) throws InstructionException {
        String id = !mount.source().isEmpty() ? mount.source() : mount.cacheId();
        if (id.isEmpty()) {
            if (mount.target().isEmpty()) {
                throw new InstructionException("one of source, target required");
            }
            id = GoPath.base(mount.target());
        }
        return id;
    }

    /** An SSH agent socket; id "default" unless given. */
    private RunOption ssh(RunMount mount) throws InstructionException {
        if (!mount.source().isEmpty()) {
            throw new InstructionException("ssh does not support source");
        }
        RunOption.Ssh ssh = RunOption.ssh(mount.cacheId());
        if (!mount.target().isEmpty()) {
            ssh = ssh.target(mount.target());
        }
        return clientMount(ssh, mount, 0600);
    }

    /**
     * A secret's or SSH socket's {@code required}, {@code uid}, {@code gid} and {@code mode}: any of the last three
     * given sets all three, the others being root's and {@code defaultMode}.
     */
    private static <T extends RunOption.ClientMount<T>> T clientMount(T option, RunMount mount, int defaultMode) {
        if (!mount.required()) {
            option = option.asOptional();
        }
        if (mount.uid() != null || mount.gid() != null || mount.mode() != null) {
            option = option.owner(mount.uid() == null ? 0 : mount.uid(), mount.gid() == null ? 0 : mount.gid())
                    .mode(mount.mode() == null ? defaultMode : mount.mode());
        }
        return option;
    }

    /** History's form of a RUN: "|N A=1 B=2 /bin/sh -c ..." when ARGs are in scope, their values included. */
    private String runCommandString(List<String> args, EnvLookup env) {
        Map<String, String> buildEnv = new LinkedHashMap<>();
        for (Instruction.ArgDef arg : d.buildArgs) {
            String value = env.get(arg.key()).orElse(arg.value() == null ? "" : arg.value());
            buildEnv.put(arg.key(), value);
        }
        List<String> parts = new ArrayList<>();
        if (!buildEnv.isEmpty()) {
            parts.add("|" + buildEnv.size());
            buildEnv.forEach((k, v) -> parts.add(k + "=" + v));
        }
        parts.addAll(args);
        return String.join(" ", parts);
    }

    /** The first line of a heredoc, and "..." when there are more. */
    private static String summarize(String doc) {
        String[] lines = doc.strip().replace("\r\n", "\n").split("\n", -1);
        return lines.length > 1 ? lines[0] + "..." : lines[0];
    }
}
