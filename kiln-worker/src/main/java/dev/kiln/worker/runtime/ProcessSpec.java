package dev.kiln.worker.runtime;

import dev.kiln.core.Platform;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What to run in a container and how: the process (args, env, cwd, user) and its surroundings (rootfs
 * writability, network, security, hostname, /etc/hosts additions, ulimits, mounts). Build one with
 * {@link #of(List)} and the {@code with...} methods; every value is checked here, so a bad one fails before any
 * container exists.
 *
 * @param args the command and its arguments; the first is looked up on PATH inside the container
 * @param env "KEY=value" entries; a default PATH is added at run time when none is given
 * @param cwd absolute working directory, created (owned by the user) if the rootfs lacks it
 * @param user "", "name", "uid", "name:group", "uid:gid" or mixed, resolved in the rootfs's /etc/passwd and /etc/group
 * @param hostname the container's host name
 * @param extraHosts lines added to the container's /etc/hosts after localhost
 * @param mounts extra mounts, on top of the standard /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue and /sys
 */
public record ProcessSpec(
        List<String> args,
        List<String> env,
        String cwd,
        String user,
        boolean readOnlyRootfs,
        NetworkMode network,
        SecurityMode security,
        String hostname,
        List<HostEntry> extraHosts,
        List<Ulimit> ulimits,
        List<MountSpec> mounts) {
    /** BuildKit's host name for a step that names none; builds that print or check it see the same under Kiln. */
    public static final String DEFAULT_HOSTNAME = "buildkitsandbox";

    public ProcessSpec {
        args = List.copyOf(Objects.requireNonNull(args, "args"));
        if (args.isEmpty()) {
            throw new IllegalArgumentException("a process needs at least one argument, the command to run");
        }
        env = List.copyOf(Objects.requireNonNull(env, "env"));
        for (String entry : env) {
            if (entry.indexOf('=') <= 0) {
                throw new IllegalArgumentException("environment entry \"" + entry + "\" is not KEY=value");
            }
        }
        Objects.requireNonNull(cwd, "cwd");
        if (!cwd.startsWith("/")) {
            throw new IllegalArgumentException("working directory \"" + cwd + "\" must be an absolute path");
        }
        user = user == null ? "" : user;
        Objects.requireNonNull(network, "network mode");
        Objects.requireNonNull(security, "security mode");
        Objects.requireNonNull(hostname, "hostname");
        if (hostname.isEmpty() || hostname.length() > 64 || hostname.chars().anyMatch(c -> c <= ' ' || c == '/')) {
            throw new IllegalArgumentException(
                    "hostname \"" + hostname + "\" must be 1 to 64 characters without spaces");
        }
        extraHosts = List.copyOf(Objects.requireNonNull(extraHosts, "extra hosts"));
        ulimits = List.copyOf(Objects.requireNonNull(ulimits, "ulimits"));
        mounts = List.copyOf(Objects.requireNonNull(mounts, "mounts"));
    }

    /** {@code args} as root in "/", network NONE, SANDBOX, writable rootfs, no extra mounts. */
    public static ProcessSpec of(List<String> args) {
        return new ProcessSpec(
                args,
                List.of(),
                "/",
                "",
                false,
                NetworkMode.NONE,
                SecurityMode.SANDBOX,
                DEFAULT_HOSTNAME,
                List.of(),
                List.of(),
                List.of());
    }

    public static ProcessSpec of(String... args) {
        return of(List.of(args));
    }

    public ProcessSpec withEnv(List<String> env) {
        return new ProcessSpec(
                args, env, cwd, user, readOnlyRootfs, network, security, hostname, extraHosts, ulimits, mounts);
    }

    public ProcessSpec withCwd(String cwd) {
        return new ProcessSpec(
                args, env, cwd, user, readOnlyRootfs, network, security, hostname, extraHosts, ulimits, mounts);
    }

    public ProcessSpec withUser(String user) {
        return new ProcessSpec(
                args, env, cwd, user, readOnlyRootfs, network, security, hostname, extraHosts, ulimits, mounts);
    }

    public ProcessSpec withReadOnlyRootfs(boolean readOnlyRootfs) {
        return new ProcessSpec(
                args, env, cwd, user, readOnlyRootfs, network, security, hostname, extraHosts, ulimits, mounts);
    }

    public ProcessSpec withNetwork(NetworkMode network) {
        return new ProcessSpec(
                args, env, cwd, user, readOnlyRootfs, network, security, hostname, extraHosts, ulimits, mounts);
    }

    public ProcessSpec withSecurity(SecurityMode security) {
        return new ProcessSpec(
                args, env, cwd, user, readOnlyRootfs, network, security, hostname, extraHosts, ulimits, mounts);
    }

    public ProcessSpec withHostname(String hostname) {
        return new ProcessSpec(
                args, env, cwd, user, readOnlyRootfs, network, security, hostname, extraHosts, ulimits, mounts);
    }

    public ProcessSpec withExtraHosts(List<HostEntry> extraHosts) {
        return new ProcessSpec(
                args, env, cwd, user, readOnlyRootfs, network, security, hostname, extraHosts, ulimits, mounts);
    }

    public ProcessSpec withUlimits(List<Ulimit> ulimits) {
        return new ProcessSpec(
                args, env, cwd, user, readOnlyRootfs, network, security, hostname, extraHosts, ulimits, mounts);
    }

    public ProcessSpec withMounts(List<MountSpec> mounts) {
        return new ProcessSpec(
                args, env, cwd, user, readOnlyRootfs, network, security, hostname, extraHosts, ulimits, mounts);
    }

    /** This spec with one more mount after the others. */
    public ProcessSpec withMount(MountSpec mount) {
        List<MountSpec> more = new ArrayList<>(mounts);
        more.add(Objects.requireNonNull(mount, "mount"));
        return withMounts(more);
    }

    /** The environment the process gets: {@link #env()} plus {@code PATH=}{@link Platform#DEFAULT_UNIX_PATH} if it sets none. */
    public List<String> effectiveEnv() {
        if (env.stream().anyMatch(entry -> entry.startsWith("PATH="))) {
            return env;
        }
        List<String> withPath = new ArrayList<>(env.size() + 1);
        withPath.add("PATH=" + Platform.DEFAULT_UNIX_PATH);
        withPath.addAll(env);
        return List.copyOf(withPath);
    }
}
