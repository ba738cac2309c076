package dev.kiln.worker.ops;

import dev.kiln.llb.pb.Mount;
import dev.kiln.worker.fs.DanglingLinkException;
import dev.kiln.worker.fs.ScopedRoot;
import dev.kiln.worker.runtime.MountSpec;
import dev.kiln.worker.snapshot.ActiveSnapshot;
import dev.kiln.worker.snapshot.Mounted;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The host side of a container's filesystem: a writable snapshot as its root and whatever its
 * other mounts need (snapshots mounted read-only or writable, cache directories, tmpfs, secret
 * files, agent sockets). A RUN step and a gateway container prepare their mounts the same way.
 * Closing releases everything; what was not committed is discarded.
 */
public final class ContainerMounts implements AutoCloseable {

    private final Snapshotter snapshotter;
    private final CacheMounts cacheMounts;
    private final SecretMounts secrets;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final Map<Mount, ActiveSnapshot> writable = new IdentityHashMap<>();
    private final List<MountSpec> specs = new ArrayList<>();
    private ActiveSnapshot root;
    private Mount rootMount;

    public ContainerMounts(Snapshotter snapshotter, CacheMounts cacheMounts, SecretMounts secrets) {
        this.snapshotter = snapshotter;
        this.cacheMounts = cacheMounts;
        this.secrets = secrets;
    }

    /** Prepares the root filesystem: a writable view of {@code input}; returns where it is mounted. */
    public Path root(Mount mount, Snapshot input) throws IOException {
        if (root != null) {
            throw new IllegalStateException("a container has one root mount");
        }
        root = snapshotter.prepare(input);
        resources.push(root);
        rootMount = mount;
        writable.put(mount, root);
        return root.mount();
    }

    /** Prepares one non-root mount whose input (for bind and seeded cache mounts) is {@code input}. */
    public void add(Mount mount, Snapshot input) throws IOException, InterruptedException {
        prepare(mount, input).ifPresent(specs::add);
    }

    private Optional<MountSpec> prepare(Mount mount, Snapshot input) throws IOException, InterruptedException {
        String dest = mount.getDest();
        return switch (mount.getMountType()) {
            case BIND -> {
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
                yield Optional.of(
                        new MountSpec.Bind(select(dir, mount.getSelector(), dest), dest, mount.getReadonly()));
            }
            case CACHE -> {
                Path seed = null;
                if (input != null && !input.isScratch()) {
                    Mounted mounted = snapshotter.mountReadOnly(input);
                    resources.push(mounted);
                    seed = select(mounted.path(), mount.getSelector(), dest);
                }
                String id = mount.getCacheOpt().getID().isEmpty()
                        ? dest
                        : mount.getCacheOpt().getID();
                CacheMounts.Lease lease =
                        cacheMounts.acquire(id, mount.getCacheOpt().getSharing(), seed);
                resources.push(lease);
                yield Optional.of(new MountSpec.Bind(lease.path(), dest, mount.getReadonly()));
            }
            case TMPFS ->
                Optional.of(new MountSpec.Tmpfs(dest, mount.getTmpfsOpt().getSize()));
            case SECRET -> {
                Optional<CacheMounts.Lease> file = secrets.secretFile(mount.getSecretOpt(), dest);
                file.ifPresent(resources::push);
                yield file.map(lease -> new MountSpec.Bind(lease.path(), dest, true));
            }
            case SSH ->
                secrets.sshSocket(mount.getSSHOpt(), dest).map(socket -> new MountSpec.Bind(socket, dest, true));
            case UNRECOGNIZED -> throw new IllegalArgumentException("mount at " + dest + " has an unknown type");
        };
    }

    /** A mount's selector picks a path inside its input; it is resolved inside that input, never outside. */
    private static Path select(Path dir, String selector, String dest) throws IOException {
        if (selector.isEmpty() || selector.equals("/")) {
            return dir;
        }
        Path selected;
        try {
            selected = new ScopedRoot(dir).resolveExisting("mount", selector, true);
        } catch (DanglingLinkException e) {
            throw new IOException(
                    "mount " + dest + ": selected path " + selector + " is a dangling link: " + e.link() + " -> "
                            + e.target() + " leads nowhere in its input (links resolve inside it)",
                    e);
        }
        if (!Files.exists(selected, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("mount " + dest + ": selected path " + selector + " does not exist in its input");
        }
        return selected;
    }

    /** The mounts to give the runtime, root excluded. */
    public List<MountSpec> specs() {
        return List.copyOf(specs);
    }

    public boolean rootReadOnly() {
        return rootMount != null && rootMount.getReadonly();
    }

    /** Commits the root filesystem as it is now, whatever the root mount's output says. */
    public Snapshot commitRoot() throws IOException {
        return root.commit();
    }

    /** Commits a writable mount (or the root) as a new snapshot; empty for a mount that was not writable. */
    public Optional<Snapshot> commit(Mount mount) throws IOException {
        ActiveSnapshot active = writable.get(mount);
        if (active == null || mount.getReadonly()) {
            return Optional.empty();
        }
        return Optional.of(active.commit());
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                IOException failure = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
                if (first == null) {
                    first = failure;
                } else {
                    first.addSuppressed(failure);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
