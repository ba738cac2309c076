package dev.kiln.worker.runtime;

import dev.kiln.worker.sys.Pty;
import dev.kiln.worker.user.Identity;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Turns a {@link ProcessSpec} into an OCI bundle: config.json plus the generated files it mounts. */
final class BundleWriter {
    private static final BigInteger RLIM_INFINITY = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private BundleWriter() {}

    /** The destinations of every mount the container will get, for {@link MountStubs}. */
    static List<String> mountDestinations(ProcessSpec spec) {
        List<String> destinations = new ArrayList<>(List.of(
                "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/etc/hosts", "/etc/resolv.conf"));
        spec.mounts().forEach(mount -> destinations.add(mount.destination()));
        return destinations;
    }

    /** Writes config.json and the container's /etc/hosts and /etc/resolv.conf into {@code bundle}. */
    static void write(Path bundle, Path rootfs, ProcessSpec spec, Identity identity) throws IOException {
        write(bundle, rootfs, spec, identity, null);
    }

    /**
     * As {@link #write(Path, Path, ProcessSpec, Identity)}; with a {@code terminal} size the runtime gives the process a
     * pty of that size. The size is in the spec, not only set on Kiln's side afterwards: the runtime copies its own
     * terminal's size to the container's only after the process started, and a quick process saw 0x0 before that.
     */
    static void write(Path bundle, Path rootfs, ProcessSpec spec, Identity identity, Pty.WindowSize terminal)
            throws IOException {
        OciSpec.Process process = process(spec, identity, terminal);

        List<OciSpec.Namespace> namespaces = new ArrayList<>();
        for (String type : List.of("pid", "ipc", "uts", "mount")) {
            namespaces.add(new OciSpec.Namespace(type));
        }
        if (spec.network() == NetworkMode.NONE) {
            namespaces.add(new OciSpec.Namespace("network"));
        }
        OciSpec.Linux linux = new OciSpec.Linux(
                namespaces,
                new OciSpec.Resources(List.of(new OciSpec.DeviceRule(false, "rwm"))),
                SecurityProfile.maskedPaths(spec.security()),
                SecurityProfile.readonlyPaths(spec.security()),
                SecurityProfile.seccomp(spec.security()));

        OciSpec config = new OciSpec(
                "1.0.2",
                process,
                new OciSpec.Root(rootfs.toString(), spec.readOnlyRootfs()),
                spec.hostname(),
                mounts(bundle, spec),
                linux);
        Files.writeString(bundle.resolve("config.json"), SpecJson.write(config));
    }

    /**
     * Writes the process of {@code spec} alone, as the runtime's {@code exec --process} reads it: the process
     * settings of a config.json (args, env, cwd, user, capabilities, limits, terminal); the rest of {@code spec}
     * (mounts, network, host name) is the container's and not the process's.
     */
    static void writeProcess(Path file, ProcessSpec spec, Identity identity, Pty.WindowSize terminal)
            throws IOException {
        Files.writeString(file, SpecJson.write(process(spec, identity, terminal)));
    }

    private static OciSpec.Process process(ProcessSpec spec, Identity identity, Pty.WindowSize terminal) {
        return new OciSpec.Process(
                terminal != null,
                terminal == null ? null : new OciSpec.ConsoleSize(terminal.rows(), terminal.columns()),
                new OciSpec.User(identity.uid(), identity.gid(), identity.additionalGids()),
                spec.args(),
                spec.effectiveEnv(),
                spec.cwd(),
                SecurityProfile.capabilities(spec.security()),
                spec.ulimits().isEmpty()
                        ? null
                        : spec.ulimits().stream().map(BundleWriter::rlimit).toList(),
                false);
    }

    private static List<OciSpec.Mount> mounts(Path bundle, ProcessSpec spec) throws IOException {
        String sys = spec.security() == SecurityMode.INSECURE ? "rw" : "ro";
        List<OciSpec.Mount> mounts = new ArrayList<>(List.of(
                new OciSpec.Mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")),
                new OciSpec.Mount(
                        "/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")),
                new OciSpec.Mount(
                        "/dev/pts",
                        "devpts",
                        "devpts",
                        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
                new OciSpec.Mount(
                        "/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
                new OciSpec.Mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")),
                new OciSpec.Mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", sys))));

        mounts.add(generatedFile(hostsFile(bundle, spec), "/etc/hosts"));
        // in every network, as BuildKit does: a step without network still sees a resolv.conf it cannot change
        Path resolvConf = bundle.resolve("resolv.conf");
        Files.writeString(resolvConf, ResolvConf.forContainer(spec.network()));
        mounts.add(generatedFile(resolvConf, "/etc/resolv.conf"));

        // parents before children, whatever order the caller listed them in
        List<MountSpec> extra = new ArrayList<>(spec.mounts());
        extra.sort(Comparator.comparingInt(mount -> Path.of(mount.destination()).getNameCount()));
        for (MountSpec mount : extra) {
            OciSpec.Mount oci = switch (mount) {
                case MountSpec.Bind bind -> {
                    if (!Files.exists(bind.source())) {
                        throw new IOException("bind mount source " + bind.source() + " for " + bind.destination()
                                + " does not exist");
                    }
                    yield bind(bind.source(), bind.destination(), bind.readOnly());
                }
                case MountSpec.Tmpfs tmpfs -> {
                    // BuildKit's tmpfs options: only nosuid (devices and exec allowed; the root is 1777 by default)
                    List<String> options = new ArrayList<>(List.of("nosuid"));
                    if (tmpfs.sizeBytes() > 0) {
                        options.add("size=" + tmpfs.sizeBytes());
                    }
                    yield new OciSpec.Mount(tmpfs.destination(), "tmpfs", "tmpfs", options);
                }
            };
            replaceOrAdd(mounts, oci);
        }
        return mounts;
    }

    /**
     * A mount at a destination the list already has takes the earlier one's place, as BuildKit's spec does: a RUN
     * step's tmpfs at /dev/shm (Dockerfile {@code --mount=type=tmpfs,target=/dev/shm} or shm-size) is the only
     * filesystem there, not a second one stacked on the default, and it stays after /dev, which it needs.
     */
    private static void replaceOrAdd(List<OciSpec.Mount> mounts, OciSpec.Mount mount) {
        for (int i = 0; i < mounts.size(); i++) {
            if (mounts.get(i).destination().equals(mount.destination())) {
                mounts.set(i, mount);
                return;
            }
        }
        mounts.add(mount);
    }

    private static OciSpec.Mount bind(Path source, String destination, boolean readOnly) {
        return new OciSpec.Mount(
                destination, "bind", source.toString(), List.of("rbind", readOnly ? "ro" : "rw", "rprivate"));
    }

    /** /etc/hosts and /etc/resolv.conf: read-only and nosuid, noexec, nodev, as BuildKit binds them. */
    private static OciSpec.Mount generatedFile(Path source, String destination) {
        return new OciSpec.Mount(
                destination,
                "bind",
                source.toString(),
                List.of("nosuid", "noexec", "nodev", "rbind", "ro", "rprivate"));
    }

    /**
     * The container's own /etc/hosts, whatever its network: localhost with the container's host name, the IPv6
     * loopback names, then the extra hosts, line for line as BuildKit writes it. The host's file is never shown,
     * so a step sees the same names under Kiln as under BuildKit and on any build machine.
     */
    private static Path hostsFile(Path bundle, ProcessSpec spec) throws IOException {
        StringBuilder hosts = new StringBuilder();
        hosts.append("127.0.0.1\tlocalhost ").append(spec.hostname()).append('\n');
        hosts.append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        for (HostEntry entry : spec.extraHosts()) {
            hosts.append(entry.address()).append('\t').append(entry.host()).append('\n');
        }
        Path file = bundle.resolve("hosts");
        Files.writeString(file, hosts);
        return file;
    }

    private static OciSpec.Rlimit rlimit(Ulimit ulimit) {
        return new OciSpec.Rlimit(ulimit.rlimitType(), limit(ulimit.hard()), limit(ulimit.soft()));
    }

    private static BigInteger limit(long value) {
        return value == Ulimit.UNLIMITED ? RLIM_INFINITY : BigInteger.valueOf(value);
    }
}
