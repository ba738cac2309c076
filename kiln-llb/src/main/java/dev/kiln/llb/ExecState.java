package dev.kiln.llb;

/** The result of a run step: its root filesystem and its other writable mounts, each a {@link State}. */
public final class ExecState {

    private final State base;
    private final ExecNode exec;

    ExecState(State base, ExecNode exec) {
        this.base = base;
        this.exec = exec;
    }

    /**
     * The root filesystem after the step, with the settings of the state the step ran on (a
     * read-only root is the input unchanged).
     */
    public State root() {
        ExecNode.MountPoint root = exec.mount(ExecNode.ROOT);
        return base.withOutput(root.readonly() ? root.source() : new NodeOutput(exec, root.output()));
    }

    /**
     * The filesystem mounted at {@code dest} after the step, with fresh settings. A read-only mount
     * is its source unchanged.
     *
     * @throws IllegalArgumentException if there is no mount at {@code dest} or its changes are not kept
     *     (cache, tmpfs, no-output mounts)
     */
    public State mount(String dest) {
        ExecNode.MountPoint mount = exec.mount(dest);
        if (mount == null) {
            throw new IllegalArgumentException("the run step has no mount at " + dest + " (mounts: "
                    + exec.mounts().stream().map(ExecNode.MountPoint::dest).toList() + ")");
        }
        if (mount.readonly()) {
            return mount.source() == null ? State.scratch() : State.of(mount.source());
        }
        if (mount.output() < 0) {
            String kind = mount.cache() != null
                    ? "a cache mount"
                    : mount.tmpfs() != null ? "a tmpfs mount" : "a no-output mount";
            throw new IllegalArgumentException(
                    "the mount at " + dest + " is " + kind + ", so the step keeps no result of it");
        }
        return State.of(new NodeOutput(exec, mount.output()));
    }
}
