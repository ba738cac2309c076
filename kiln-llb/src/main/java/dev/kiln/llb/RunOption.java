package dev.kiln.llb;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An option of {@link State#run}: the command, settings that override the state's for this step
 * only (env, dir, user, ...), mounts, secrets, and any {@link OpOption}.
 */
public sealed interface RunOption
        permits RunOption.Args,
                RunOption.Env,
                RunOption.Dir,
                RunOption.User,
                RunOption.Hostname,
                RunOption.Network,
                RunOption.Security,
                RunOption.ExtraHost,
                RunOption.ValidExitCodes,
                RunOption.ReadonlyRootfs,
                RunOption.MountAt,
                RunOption.Secret,
                RunOption.Ssh,
                RunOption.Ulimit,
                RunOption.CgroupParent,
                RunOption.Proxy,
                OpOption {

    /** The command, exec form: no shell involved. */
    static RunOption args(String... args) {
        return new Args(List.of(args));
    }

    static RunOption args(List<String> args) {
        return new Args(args);
    }

    /** The command as one line, split into words the way a POSIX shell would (quotes, escapes), not run by one. */
    static RunOption shlex(String commandLine) {
        return new Args(Shlex.split(commandLine));
    }

    /** The command run by {@code /bin/sh -c}, as a Dockerfile's shell form RUN does it. */
    static RunOption sh(String script) {
        return new Args(List.of("/bin/sh", "-c", script));
    }

    static RunOption env(String key, String value) {
        return new Env(key, value);
    }

    /** The working directory; a relative path is taken from the state's. */
    static RunOption dir(String dir) {
        return new Dir(dir);
    }

    /** "user", "uid", "user:group" or "uid:gid", resolved in the root filesystem when the step runs. */
    static RunOption user(String user) {
        return new User(user);
    }

    static RunOption hostname(String hostname) {
        return new Hostname(hostname);
    }

    static RunOption network(NetMode mode) {
        return new Network(mode);
    }

    static RunOption security(SecurityMode mode) {
        return new Security(mode);
    }

    /** An /etc/hosts entry; {@code ip} must be an IPv4 or IPv6 literal. */
    static RunOption extraHost(String host, String ip) {
        return new ExtraHost(host, ip);
    }

    /** Exit codes that count as success (default: only 0). */
    static RunOption validExitCodes(int... codes) {
        return new ValidExitCodes(Arrays.stream(codes).boxed().toList());
    }

    /** Mounts the root filesystem read-only; the step's root output is then its input unchanged. */
    static RunOption readonlyRootfs() {
        return new ReadonlyRootfs();
    }

    static RunOption mount(String dest, Mount mount) {
        return new MountAt(dest, mount);
    }

    /** The secret {@code id} as a file at {@code target}, mode 0400, owned by root. */
    static Secret secret(String id, String target) {
        return new Secret(id, target, null, 0, 0, 0400, false);
    }

    /** The secret {@code id} as the value of environment variable {@code name}. */
    static Secret secretEnv(String id, String name) {
        return new Secret(id, null, name, 0, 0, 0400, false);
    }

    /** The client's default SSH agent, as a socket at /run/buildkit/ssh_agent.N, mode 0600. */
    static Ssh ssh() {
        return new Ssh("", "", 0, 0, 0600, false);
    }

    /** The SSH agent the client exposes as {@code id}. */
    static Ssh ssh(String id) {
        return new Ssh(id, "", 0, 0, 0600, false);
    }

    static RunOption ulimit(String name, long soft, long hard) {
        return new Ulimit(name, soft, hard);
    }

    static RunOption cgroupParent(String parent) {
        return new CgroupParent(parent);
    }

    /**
     * Proxy settings for this step (BuildKit's WithProxy): the worker gives the process each non-empty one under
     * both its lowercase and uppercase name. Unlike {@link #env}, they are not part of the step's cache key.
     */
    static Proxy proxy(String httpProxy, String httpsProxy, String ftpProxy, String noProxy, String allProxy) {
        return new Proxy(httpProxy, httpsProxy, ftpProxy, noProxy, allProxy);
    }

    record Args(List<String> args) implements RunOption {
        public Args {
            args = List.copyOf(args);
            if (args.isEmpty()) {
                throw new IllegalArgumentException("a run step needs at least one argument (the program to run)");
            }
        }
    }

    record Env(String key, String value) implements RunOption {
        public Env {
            requireKey(key);
            Objects.requireNonNull(value, "value");
        }

        static void requireKey(String key) {
            if (key == null || key.isEmpty() || key.contains("=")) {
                throw new IllegalArgumentException("invalid environment variable name \"" + key + "\"");
            }
        }
    }

    record Dir(String dir) implements RunOption {
        public Dir {
            Objects.requireNonNull(dir, "dir");
        }
    }

    record User(String user) implements RunOption {
        public User {
            Objects.requireNonNull(user, "user");
        }
    }

    record Hostname(String hostname) implements RunOption {
        public Hostname {
            Objects.requireNonNull(hostname, "hostname");
        }
    }

    record Network(NetMode mode) implements RunOption {
        public Network {
            Objects.requireNonNull(mode, "mode");
        }
    }

    record Security(SecurityMode mode) implements RunOption {
        public Security {
            Objects.requireNonNull(mode, "mode");
        }
    }

    /** The address is kept in Go's textual form ({@code net.IP.String}), which is what lands in the op. */
    record ExtraHost(String host, String ip) implements RunOption {
        public ExtraHost {
            if (host == null || host.isEmpty()) {
                throw new IllegalArgumentException("an extra host needs a name");
            }
            ip = goIpText(host, ip);
        }

        private static String goIpText(String host, String ip) {
            InetAddress address;
            try {
                address = InetAddress.ofLiteral(ip);
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("extra host " + host + ": \"" + ip + "\" is not an IP address", e);
            }
            if (address instanceof Inet4Address) {
                return address.getHostAddress();
            }
            byte[] bytes = ((Inet6Address) address).getAddress();
            int[] groups = new int[8];
            for (int i = 0; i < 8; i++) {
                groups[i] = (bytes[2 * i] & 0xff) << 8 | bytes[2 * i + 1] & 0xff;
            }
            // RFC 5952 as Go does it: the longest run of two or more zero groups becomes "::".
            int bestStart = -1;
            int bestLength = 1;
            for (int i = 0; i < 8; ) {
                int j = i;
                while (j < 8 && groups[j] == 0) {
                    j++;
                }
                if (j - i > bestLength) {
                    bestStart = i;
                    bestLength = j - i;
                }
                i = j == i ? i + 1 : j;
            }
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                if (i == bestStart) {
                    text.append("::");
                    i += bestLength - 1;
                    continue;
                }
                if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                    text.append(':');
                }
                text.append(Integer.toHexString(groups[i]));
            }
            return text.toString();
        }
    }

    record ValidExitCodes(List<Integer> codes) implements RunOption {
        public ValidExitCodes {
            codes = List.copyOf(codes);
        }
    }

    record ReadonlyRootfs() implements RunOption {}

    record MountAt(String dest, Mount mount) implements RunOption {
        public MountAt {
            if (dest == null || dest.isEmpty()) {
                throw new IllegalArgumentException("a mount needs a destination path");
            }
            Objects.requireNonNull(mount, "mount");
        }
    }

    /**
     * A secret, as a file ({@code target}) or an environment variable ({@code envName}); exactly
     * one of the two is set.
     */
    /**
     * What a secret and an SSH agent socket share as mounts the client provides: the owner and mode they appear with
     * in the container, and whether the step may run without them.
     */
    sealed interface ClientMount<T extends ClientMount<T>> permits Secret, Ssh {
        T owner(int newUid, int newGid);

        T mode(int newMode);

        /** Runs the step without it when the client does not have it, instead of failing. */
        T asOptional();
    }

    record Secret(String id, String target, String envName, int uid, int gid, int mode, boolean optional)
            implements RunOption, ClientMount<Secret> {
        public Secret {
            if (id == null || id.isEmpty()) {
                throw new IllegalArgumentException("a secret needs an id");
            }
            if ((target == null) == (envName == null)) {
                throw new IllegalArgumentException(
                        "secret " + id + " needs either a target file or an environment variable");
            }
        }

        @Override
        public Secret owner(int newUid, int newGid) {
            return new Secret(id, target, envName, newUid, newGid, mode, optional);
        }

        @Override
        public Secret mode(int newMode) {
            return new Secret(id, target, envName, uid, gid, newMode, optional);
        }

        @Override
        public Secret asOptional() {
            return new Secret(id, target, envName, uid, gid, mode, true);
        }
    }

    /** An SSH agent socket; an empty target means /run/buildkit/ssh_agent.N (N = its position). */
    record Ssh(String id, String target, int uid, int gid, int mode, boolean optional)
            implements RunOption, ClientMount<Ssh> {
        public Ssh {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(target, "target");
        }

        public Ssh target(String path) {
            return new Ssh(id, path, uid, gid, mode, optional);
        }

        @Override
        public Ssh owner(int newUid, int newGid) {
            return new Ssh(id, target, newUid, newGid, mode, optional);
        }

        @Override
        public Ssh mode(int newMode) {
            return new Ssh(id, target, uid, gid, newMode, optional);
        }

        @Override
        public Ssh asOptional() {
            return new Ssh(id, target, uid, gid, mode, true);
        }
    }

    record Ulimit(String name, long soft, long hard) implements RunOption {
        public Ulimit {
            Objects.requireNonNull(name, "name");
        }
    }

    record CgroupParent(String parent) implements RunOption {
        public CgroupParent {
            Objects.requireNonNull(parent, "parent");
        }
    }

    /** Proxy variables of one run step; an empty value leaves that variable unset. */
    record Proxy(String httpProxy, String httpsProxy, String ftpProxy, String noProxy, String allProxy)
            implements RunOption {
        public Proxy {
            Objects.requireNonNull(httpProxy, "httpProxy");
            Objects.requireNonNull(httpsProxy, "httpsProxy");
            Objects.requireNonNull(ftpProxy, "ftpProxy");
            Objects.requireNonNull(noProxy, "noProxy");
            Objects.requireNonNull(allProxy, "allProxy");
        }
    }
}
