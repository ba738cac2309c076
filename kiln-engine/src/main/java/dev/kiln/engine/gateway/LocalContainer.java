package dev.kiln.engine.gateway;

import dev.kiln.gateway.Container;
import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Mount;
import dev.kiln.gateway.NewContainerRequest;
import dev.kiln.gateway.StartRequest;
import dev.kiln.llb.pb.MountType;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.ops.ContainerMounts;
import dev.kiln.worker.ops.FailedStep;
import dev.kiln.worker.ops.LlbProcessSettings;
import dev.kiln.worker.runtime.ProcessSpec;
import dev.kiln.worker.snapshot.Snapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A container of the gateway API: its filesystem is prepared once (a writable copy-on-write view
 * of the root reference plus the other mounts), and its processes share it and one set of
 * namespaces (pid, network, ...), as in BuildKit's gateway containers: the first process started
 * is the container's init (the runtime's run), later ones join it (the runtime's exec). When the
 * init ends the container ends: the kernel kills the other processes, and no process can start in
 * it any more. Changes are discarded at release. Releasing kills what still runs.
 */
public final class LocalContainer implements Container {

    private final BuildContext build;
    private final NewContainerRequest request;
    private final ContainerMounts mounts;
    private final Path rootfs;
    /** The processes started in it, the init first. */
    private final List<LocalProcess> processes = new ArrayList<>();

    private boolean released;

    private LocalContainer(BuildContext build, NewContainerRequest request, ContainerMounts mounts, Path rootfs) {
        this.build = build;
        this.request = request;
        this.mounts = mounts;
        this.rootfs = rootfs;
    }

    static LocalContainer create(BuildContext build, NewContainerRequest request) throws InterruptedException {
        Mount root = request.mounts().stream()
                .filter(m -> m.dest().equals("/"))
                .findFirst()
                .orElseThrow(() -> new GatewayException("a container needs a mount at / (its root filesystem)"));
        ContainerMounts mounts = build.worker().containerMounts(build.session());
        try {
            Path rootfs = mounts.root(wire(root), snapshot(root));
            for (Mount mount : request.mounts()) {
                if (mount != root) {
                    mounts.add(wire(mount), snapshot(mount));
                }
            }
            return new LocalContainer(build, request, mounts, rootfs);
        } catch (IOException | RuntimeException e) {
            closeQuietly(mounts, e);
            throw e instanceof GatewayException g ? g : new GatewayException("create container: " + e.getMessage(), e);
        }
    }

    /**
     * A container in the state of a failed RUN step: its root as the process left it, its other
     * mounts made again from the step's inputs, with the step's network settings.
     */
    public static LocalContainer forFailedStep(BuildContext build, FailedStep step) throws InterruptedException {
        return forStep(build, step.root(), step.exec(), step.inputs());
    }

    /**
     * A container with {@code root} as its root filesystem and, with {@code inputs}, the other mounts of
     * {@code exec} made again from them; without inputs, the root alone.
     */
    public static LocalContainer forStep(
            BuildContext build, Snapshot root, dev.kiln.llb.pb.ExecOp exec, List<Snapshot> inputs)
            throws InterruptedException {
        ContainerMounts mounts = build.worker().containerMounts(build.session());
        try {
            Path rootfs = mounts.root(
                    dev.kiln.llb.pb.Mount.newBuilder()
                            .setDest("/")
                            .setOutput(-1)
                            .build(),
                    root);
            for (dev.kiln.llb.pb.Mount mount :
                    inputs.isEmpty() ? List.<dev.kiln.llb.pb.Mount>of() : exec.getMountsList()) {
                if (!mount.getDest().equals("/")) {
                    long input = mount.getInput();
                    mounts.add(
                            mount.toBuilder().setOutput(-1).build(),
                            input >= 0 && input < inputs.size() ? inputs.get((int) input) : Snapshot.SCRATCH);
                }
            }
            var meta = exec.getMeta();
            NewContainerRequest request =
                    new NewContainerRequest(List.of(), exec.getNetwork(), meta.getExtraHostsList(), null, null);
            return new LocalContainer(build, request, mounts, rootfs);
        } catch (IOException | RuntimeException e) {
            closeQuietly(mounts, e);
            throw e instanceof GatewayException g ? g : new GatewayException("open failed step: " + e.getMessage(), e);
        }
    }

    /**
     * The mount as LLB describes it. A writable bind mount gets an output, as BuildKit's gateway
     * gives every mount one: it becomes a writable copy-on-write view of its reference, never the
     * reference itself; the container's changes are discarded at release all the same.
     */
    private static dev.kiln.llb.pb.Mount wire(Mount mount) {
        return mount.toProto().setOutput(mount.readonly() ? -1 : 0).build();
    }

    private static Snapshot snapshot(Mount mount) throws InterruptedException {
        if (mount.ref() == null) {
            if (mount.mountType() == MountType.BIND && !mount.resultId().isEmpty()) {
                throw new GatewayException("mount " + mount.dest() + ": result ids are not kept by this engine; "
                        + "pass the reference itself");
            }
            return Snapshot.SCRATCH;
        }
        if (mount.ref() instanceof SnapshotReference files) {
            return files.snapshot();
        }
        if (!(mount.ref() instanceof SolvedReference solved)) {
            throw new GatewayException("mount " + mount.dest() + ": the reference was not made by this engine");
        }
        return SnapshotResult.of(solved.solved().result());
    }

    @Override
    public synchronized ContainerProcess start(StartRequest start) throws InterruptedException {
        if (released) {
            throw new GatewayException("container was released; create a new one");
        }
        ProcessSpec spec = ProcessSpec.of(start.args())
                .withEnv(start.env())
                .withCwd(start.cwd().isEmpty() ? "/" : start.cwd())
                .withUser(start.user())
                .withReadOnlyRootfs(mounts.rootReadOnly())
                .withNetwork(LlbProcessSettings.network(request.netMode()))
                .withSecurity(LlbProcessSettings.security(start.securityMode()))
                .withExtraHosts(LlbProcessSettings.extraHosts(request.extraHosts()))
                .withMounts(mounts.specs());
        if (!request.hostname().isEmpty()) {
            spec = spec.withHostname(request.hostname());
        }
        String command = String.join(" ", start.args());
        try {
            LocalProcess process;
            if (processes.isEmpty()) {
                process = LocalProcess.start(build.worker().runtime(), rootfs, spec, start);
            } else {
                LocalProcess init = processes.getFirst();
                if (!init.isAlive()) {
                    throw new GatewayException("start " + command + ": the container has stopped: its first process ("
                            + init.command() + ") ended, which ends the container; create a new container");
                }
                // as BuildKit's exec: the process settings of the init, but for what the request sets
                ProcessSpec joining = spec.withUser(
                                start.user().isEmpty() ? init.spec().user() : start.user())
                        .withSecurity(init.spec().security());
                process = LocalProcess.exec(build.worker().runtime(), init.container(), joining, start);
            }
            processes.add(process);
            return process;
        } catch (IOException e) {
            throw new GatewayException("start " + command + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        IOException failure = null;
        // the init first: its end takes every other process of the container with it
        for (LocalProcess process : processes) {
            try {
                process.kill();
            } catch (IOException e) {
                failure = e;
            }
        }
        try {
            mounts.close();
        } catch (IOException e) {
            failure = e;
        }
        if (failure != null) {
            throw new GatewayException("release container: " + failure.getMessage(), failure);
        }
    }

    private static void closeQuietly(ContainerMounts mounts, Exception cause) {
        try {
            mounts.close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }
}
