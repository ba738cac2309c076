package dev.kiln.worker.ops;

import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.Meta;
import dev.kiln.llb.pb.Mount;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.ProxyEnv;
import dev.kiln.solver.CacheMap;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.fs.ScopedRoot;
import dev.kiln.worker.runtime.ContainerRuntime;
import dev.kiln.worker.runtime.ExitStatus;
import dev.kiln.worker.runtime.HostEntry;
import dev.kiln.worker.runtime.MountSpec;
import dev.kiln.worker.runtime.NetworkMode;
import dev.kiln.worker.runtime.ProcessSpec;
import dev.kiln.worker.runtime.SecurityMode;
import dev.kiln.worker.runtime.Ulimit;
import dev.kiln.worker.snapshot.ActiveSnapshot;
import dev.kiln.worker.snapshot.Mounted;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ExecOp: a process in a container whose rootfs is a writable snapshot of the root mount's input,
 * with the op's other mounts (bind, cache, tmpfs) in place. Each mount with an output index
 * becomes an output: writable ones as new snapshots, read-only ones as their input unchanged.
 */
public final class ExecOperation implements Operation {

    /** The container runtime, found when the first step needs it. */
    @FunctionalInterface
    public interface RuntimeSource {
        ContainerRuntime get() throws IOException;
    }

    private static final int TAIL_LINES = 10;

    private final Op op;
    private final Snapshotter snapshotter;
    private final RuntimeSource runtime;
    private final CacheMounts cacheMounts;
    private final SecretMounts secrets;

    public ExecOperation(Op op, Snapshotter snapshotter, RuntimeSource runtime, CacheMounts cacheMounts,
            SecretMounts secrets) {
        this.op = op;
        this.snapshotter = snapshotter;
        this.runtime = runtime;
        this.cacheMounts = cacheMounts;
        this.secrets = secrets;
    }

    @Override
    public CacheMap cacheMap(OperationContext ctx) {
        return CacheMap.byCacheKeys(OpKeys.withoutInputs(op), op.getInputsCount());
    }

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        ExecOp exec = op.getExec();
        Mount rootMount = exec.getMountsList().stream().filter(m -> m.getDest().equals("/")).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("exec op has no mount at /"));
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        try {
            ActiveSnapshot root = snapshotter.prepare(Inputs.snapshot(inputs, rootMount.getInput(), "root mount"));
            resources.push(root);
            Map<Mount, ActiveSnapshot> writable = new HashMap<>();
            writable.put(rootMount, root);
            List<MountSpec> mounts = new ArrayList<>();
            for (Mount mount : exec.getMountsList()) {
                if (mount != rootMount) {
                    mountOne(mount, inputs, resources, writable).ifPresent(mounts::add);
                }
            }
            run(ctx, root.mount(), processSpec(exec, rootMount.getReadonly(), mounts, secretEnv(exec)));
            return outputs(exec, inputs, writable);
        } finally {
            closeAll(resources);
        }
    }

    private java.util.Optional<MountSpec> mountOne(Mount mount, List<Result> inputs, Deque<AutoCloseable> resources,
            Map<Mount, ActiveSnapshot> writable) throws Exception {
        String dest = mount.getDest();
        return switch (mount.getMountType()) {
            case BIND -> {
                Snapshot input = Inputs.snapshot(inputs, mount.getInput(), "mount " + dest);
                Path dir;
                if (mount.getOutput() >= 0 && !mount.getReadonly()) {
                    // a writable mount with an output: its changes become a new snapshot
                    ActiveSnapshot active = snapshotter.prepare(input);
                    resources.push(active);
                    writable.put(mount, active);
                    dir = active.mount();
                } else {
                    Mounted mounted = snapshotter.mountReadOnly(input);
                    resources.push(mounted);
                    dir = mounted.path();
                }
                yield java.util.Optional.of(new MountSpec.Bind(select(dir, mount.getSelector(), dest), dest,
                        mount.getReadonly()));
            }
            case CACHE -> {
                Path seed = null;
                if (mount.getInput() >= 0) {
                    Mounted mounted = snapshotter.mountReadOnly(Inputs.snapshot(inputs, mount.getInput(), "cache " + dest));
                    resources.push(mounted);
                    seed = mounted.path();
                }
                String id = mount.getCacheOpt().getID().isEmpty() ? dest : mount.getCacheOpt().getID();
                CacheMounts.Lease lease = cacheMounts.acquire(id, mount.getCacheOpt().getSharing(), seed);
                resources.push(lease);
                yield java.util.Optional.of(new MountSpec.Bind(lease.path(), dest, mount.getReadonly()));
            }
            case TMPFS -> java.util.Optional.of(new MountSpec.Tmpfs(dest, mount.getTmpfsOpt().getSize()));
            case SECRET -> {
                java.util.Optional<CacheMounts.Lease> file = secrets.secretFile(mount.getSecretOpt(), dest);
                file.ifPresent(resources::push);
                yield file.map(lease -> new MountSpec.Bind(lease.path(), dest, true));
            }
            case SSH -> secrets.sshSocket(mount.getSSHOpt(), dest).map(socket -> new MountSpec.Bind(socket, dest, true));
            case UNRECOGNIZED -> throw new IllegalArgumentException("mount at " + dest + " has an unknown type");
        };
    }

    /** A mount's selector picks a path inside its input; it is resolved inside that input, never outside. */
    private static Path select(Path dir, String selector, String dest) throws IOException {
        if (selector.isEmpty() || selector.equals("/")) {
            return dir;
        }
        Path selected = new ScopedRoot(dir).resolve(selector);
        if (!Files.exists(selected)) {
            throw new IOException("mount " + dest + ": selected path " + selector + " does not exist in its input");
        }
        return selected;
    }

    private List<String> secretEnv(ExecOp exec) throws IOException {
        List<String> env = new ArrayList<>();
        for (var secret : exec.getSecretenvList()) {
            secrets.secretEnv(secret).ifPresent(value -> env.add(secret.getName() + "=" + value));
        }
        return env;
    }

    private static ProcessSpec processSpec(ExecOp exec, boolean readOnlyRoot, List<MountSpec> mounts,
            List<String> secretEnv) {
        Meta meta = exec.getMeta();
        List<String> env = new ArrayList<>(meta.getEnvList());
        env.addAll(secretEnv);
        if (meta.hasProxyEnv()) {
            addProxyEnv(env, meta.getProxyEnv());
        }
        ProcessSpec spec = ProcessSpec.of(meta.getArgsList())
                .withEnv(env)
                .withCwd(meta.getCwd().isEmpty() ? "/" : meta.getCwd())
                .withUser(meta.getUser())
                .withReadOnlyRootfs(readOnlyRoot)
                // BuildKit's default ("sandbox") network without CNI is the host's: RUN steps reach the network.
                .withNetwork(exec.getNetwork() == dev.kiln.llb.pb.NetMode.NONE ? NetworkMode.NONE : NetworkMode.HOST)
                .withSecurity(exec.getSecurity() == dev.kiln.llb.pb.SecurityMode.INSECURE
                        ? SecurityMode.INSECURE : SecurityMode.SANDBOX)
                .withExtraHosts(meta.getExtraHostsList().stream().map(h -> new HostEntry(h.getHost(), h.getIP())).toList())
                .withUlimits(meta.getUlimitList().stream().map(u -> new Ulimit(u.getName(), u.getSoft(), u.getHard())).toList())
                .withMounts(mounts);
        return meta.getHostname().isEmpty() ? spec : spec.withHostname(meta.getHostname());
    }

    private static void addProxyEnv(List<String> env, ProxyEnv proxy) {
        String[][] pairs = {
                {"HTTP_PROXY", proxy.getHttpProxy()}, {"HTTPS_PROXY", proxy.getHttpsProxy()},
                {"FTP_PROXY", proxy.getFtpProxy()}, {"NO_PROXY", proxy.getNoProxy()}, {"ALL_PROXY", proxy.getAllProxy()}};
        for (String[] pair : pairs) {
            if (!pair[1].isEmpty()) {
                env.add(pair[0] + "=" + pair[1]);
                env.add(pair[0].toLowerCase(java.util.Locale.ROOT) + "=" + pair[1]);
            }
        }
    }

    private void run(OperationContext ctx, Path rootfs, ProcessSpec spec) throws Exception {
        OutputTail tail = new OutputTail(TAIL_LINES);
        ExitStatus status = runtime.get().run(rootfs, spec,
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
        if (!accepted) {
            throw new ExecFailedException(String.join(" ", spec.args()), status.code(), tail.text());
        }
    }

    private static List<Result> outputs(ExecOp exec, List<Result> inputs, Map<Mount, ActiveSnapshot> writable)
            throws IOException {
        Map<Integer, Snapshot> byIndex = new HashMap<>();
        for (Mount mount : exec.getMountsList()) {
            // Only bind mounts have outputs: BuildKit's clients leave the output field of secret, SSH,
            // cache and tmpfs mounts at its default 0, and BuildKit ignores it for them.
            if (mount.getOutput() < 0 || mount.getMountType() != dev.kiln.llb.pb.MountType.BIND) {
                continue;
            }
            ActiveSnapshot active = writable.get(mount);
            Snapshot output = active != null && !mount.getReadonly()
                    ? active.commit()
                    : Inputs.snapshot(inputs, mount.getInput(), "mount " + mount.getDest());
            byIndex.put((int) mount.getOutput(), output);
        }
        int count = byIndex.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Snapshot snapshot = byIndex.get(i);
            if (snapshot == null) {
                throw new IllegalArgumentException("exec op has no mount for output " + i);
            }
            results.add(new SnapshotResult(snapshot));
        }
        return results;
    }

    private static void closeAll(Deque<AutoCloseable> resources) throws Exception {
        Exception first = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
