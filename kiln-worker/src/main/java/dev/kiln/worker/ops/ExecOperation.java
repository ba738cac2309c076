package dev.kiln.worker.ops;

import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.Meta;
import dev.kiln.llb.pb.Mount;
import dev.kiln.llb.pb.MountType;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.ProxyEnv;
import dev.kiln.solver.CacheMap;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.runtime.ContainerRuntime;
import dev.kiln.worker.runtime.Emulators;
import dev.kiln.worker.runtime.ExitStatus;
import dev.kiln.worker.runtime.MountSpec;
import dev.kiln.worker.runtime.ProcessSpec;
import dev.kiln.worker.runtime.Ulimit;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * ExecOp: a process in a container whose rootfs is a writable snapshot of the root mount's input,
 * with the op's other mounts (bind, cache, tmpfs) in place. Each mount with an output index
 * becomes an output: writable ones as new snapshots, read-only ones as their input unchanged.
 *
 * @param emulators what runs a step of a foreign platform
 */
public record ExecOperation(
        Op op,
        Snapshotter snapshotter,
        RuntimeSource runtime,
        CacheMounts cacheMounts,
        SecretMounts secrets,
        Emulators emulators)
        implements Operation {

    /** The container runtime, found when the first step needs it. */
    @FunctionalInterface
    public interface RuntimeSource {
        ContainerRuntime get() throws IOException;
    }

    private static final int TAIL_LINES = 10;

    /** With the emulators registered with this host's kernel. */
    public ExecOperation(
            Op op, Snapshotter snapshotter, RuntimeSource runtime, CacheMounts cacheMounts, SecretMounts secrets) {
        this(op, snapshotter, runtime, cacheMounts, secrets, Emulators.host());
    }

    @Override
    public CacheMap cacheMap(OperationContext ctx) {
        // The proxy a step runs behind is where it fetches from, not what it makes: as in BuildKit, another
        // proxy (or none) keeps the step's key, so proxy settings never cost a rebuild.
        Op keyed = op;
        if (op.getExec().getMeta().hasProxyEnv()) {
            Op.Builder builder = op.toBuilder();
            builder.getExecBuilder().getMetaBuilder().clearProxyEnv();
            keyed = builder.build();
        }
        return CacheMap.byCacheKeys(OpKeys.withoutInputs(keyed), op.getInputsCount());
    }

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        ExecOp exec = op.getExec();
        if (op.hasPlatform()) {
            // Before any mount: a step no emulator can run fails at once, naming the emulator to install.
            emulators.check(OpKeys.platform(op, null));
        }
        Mount rootMount = exec.getMountsList().stream()
                .filter(m -> m.getDest().equals("/"))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("exec op has no mount at /"));
        try (ContainerMounts mounts = new ContainerMounts(snapshotter, cacheMounts, secrets)) {
            Path rootfs = mounts.root(rootMount, Inputs.snapshot(inputs, rootMount.getInput(), "root mount"));
            for (Mount mount : exec.getMountsList()) {
                if (mount != rootMount) {
                    boolean hasInput = mount.getInput() >= 0
                            && (mount.getMountType() == MountType.BIND || mount.getMountType() == MountType.CACHE);
                    mounts.add(
                            mount,
                            hasInput
                                    ? Inputs.snapshot(inputs, mount.getInput(), "mount " + mount.getDest())
                                    : Snapshot.SCRATCH);
                }
            }
            ExitFailure failure =
                    run(ctx, rootfs, processSpec(exec, mounts.rootReadOnly(), mounts.specs(), secretEnv(exec)));
            if (failure != null) {
                // Keep the root as the process left it, so a debug shell can open in the same state.
                Snapshot root = mounts.commitRoot();
                List<Snapshot> inputSnapshots =
                        inputs.stream().map(SnapshotResult::of).toList();
                throw new ExecFailedException(
                        failure.command(),
                        failure.code(),
                        failure.lastOutput(),
                        new FailedStep(root, exec, inputSnapshots));
            }
            return outputs(exec, inputs, mounts);
        }
    }

    private List<String> secretEnv(ExecOp exec) throws IOException {
        List<String> env = new ArrayList<>();
        for (var secret : exec.getSecretenvList()) {
            secrets.secretEnv(secret).ifPresent(value -> env.add(secret.getName() + "=" + value));
        }
        return env;
    }

    private static ProcessSpec processSpec(
            ExecOp exec, boolean readOnlyRoot, List<MountSpec> mounts, List<String> secretEnv) {
        Meta meta = exec.getMeta();
        List<String> env = new ArrayList<>(meta.getEnvList());
        env.addAll(secretEnv);
        if (meta.hasProxyEnv()) {
            addProxyEnv(env, meta.getProxyEnv());
        }
        ProcessSpec spec = ProcessSpec.of(meta.getArgsList())
                .withEnv(laterWins(env))
                .withCwd(meta.getCwd().isEmpty() ? "/" : meta.getCwd())
                .withUser(meta.getUser())
                .withReadOnlyRootfs(readOnlyRoot)
                .withNetwork(LlbProcessSettings.network(exec.getNetwork()))
                .withSecurity(LlbProcessSettings.security(exec.getSecurity()))
                .withExtraHosts(LlbProcessSettings.extraHosts(meta.getExtraHostsList()))
                .withUlimits(meta.getUlimitList().stream()
                        .map(u -> new Ulimit(u.getName(), u.getSoft(), u.getHard()))
                        .toList())
                .withMounts(mounts);
        return meta.getHostname().isEmpty() ? spec : spec.withHostname(meta.getHostname());
    }

    /**
     * One entry per variable, the last value given winning in the first one's place, as BuildKit's spec has it:
     * a proxy build argument overrides the image's variable of that name instead of standing behind it (a
     * process reads the first of two entries).
     */
    private static List<String> laterWins(List<String> env) {
        java.util.Map<String, String> byName = new java.util.LinkedHashMap<>();
        for (String entry : env) {
            int eq = entry.indexOf('=');
            byName.put(eq < 0 ? entry : entry.substring(0, eq), entry);
        }
        return List.copyOf(byName.values());
    }

    private static void addProxyEnv(List<String> env, ProxyEnv proxy) {
        String[][] pairs = {
            {"HTTP_PROXY", proxy.getHttpProxy()},
            {"HTTPS_PROXY", proxy.getHttpsProxy()},
            {"FTP_PROXY", proxy.getFtpProxy()},
            {"NO_PROXY", proxy.getNoProxy()},
            {"ALL_PROXY", proxy.getAllProxy()}
        };
        for (String[] pair : pairs) {
            if (!pair[1].isEmpty()) {
                env.add(pair[0] + "=" + pair[1]);
                env.add(pair[0].toLowerCase(java.util.Locale.ROOT) + "=" + pair[1]);
            }
        }
    }

    private record ExitFailure(String command, int code, String lastOutput) {}

    /** Runs the process; returns how it failed, or null when its exit code is one the step accepts. */
    private ExitFailure run(OperationContext ctx, Path rootfs, ProcessSpec spec) throws Exception {
        OutputTail tail = new OutputTail(TAIL_LINES);
        ExitStatus status = runtime.get()
                .run(
                        rootfs,
                        spec,
                        (data, offset, length) -> {
                            tail.append(data, offset, length);
                            ctx.log(1, data, offset, length);
                        },
                        (data, offset, length) -> {
                            tail.append(data, offset, length);
                            ctx.log(2, data, offset, length);
                        });
        List<Integer> valid = op.getExec().getMeta().getValidExitCodesList();
        boolean accepted = valid.isEmpty() ? status.code() == 0 : valid.contains(status.code());
        return accepted ? null : new ExitFailure(String.join(" ", spec.args()), status.code(), tail.text());
    }

    private static List<Result> outputs(ExecOp exec, List<Result> inputs, ContainerMounts mounts) throws IOException {
        Map<Integer, Snapshot> byIndex = new HashMap<>();
        for (Mount mount : exec.getMountsList()) {
            // Only bind mounts have outputs: BuildKit's clients leave the output field of secret, SSH,
            // cache and tmpfs mounts at its default 0, and BuildKit ignores it for them.
            if (mount.getOutput() < 0 || mount.getMountType() != MountType.BIND) {
                continue;
            }
            Optional<Snapshot> committed = mounts.commit(mount);
            Snapshot output = committed.isPresent()
                    ? committed.get()
                    : Inputs.snapshot(inputs, mount.getInput(), "mount " + mount.getDest());
            byIndex.put((int) mount.getOutput(), output);
        }
        return Inputs.outputs(byIndex, "exec op has no mount for");
    }
}
