package dev.kiln.llb;

import dev.kiln.core.Platform;
import dev.kiln.llb.pb.CacheOpt;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.HostIP;
import dev.kiln.llb.pb.Input;
import dev.kiln.llb.pb.Meta;
import dev.kiln.llb.pb.MountType;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.ProxyEnv;
import dev.kiln.llb.pb.SSHOpt;
import dev.kiln.llb.pb.SecretEnv;
import dev.kiln.llb.pb.SecretOpt;
import dev.kiln.llb.pb.TmpfsOpt;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An exec op: a process in a container whose root and other mounts come from states. Every
 * writable bind mount (the root included) is an output, numbered in the order of the mounts
 * sorted by destination, as BuildKit numbers them.
 */
final class ExecNode implements Node {

    static final String ROOT = "/";
    private static final String SSH_AUTH_SOCK = "SSH_AUTH_SOCK";

    /** A mount as the op will have it; {@code output} is -1 for mounts whose changes are not kept. */
    record MountPoint(
            String dest,
            NodeOutput source,
            String selector,
            boolean readonly,
            boolean noOutput,
            Mount.Cache cache,
            Mount.Tmpfs tmpfs,
            int output) {

        boolean producesOutput() {
            return !noOutput && !readonly && cache == null && tmpfs == null;
        }

        MountPoint numbered(int index) {
            return new MountPoint(dest, source, selector, readonly, noOutput, cache, tmpfs, index);
        }
    }

    private final RunDefaults settings;
    private final List<String> args;
    private final List<Integer> validExitCodes;
    private final RunOption.Proxy proxy;
    private final List<MountPoint> mounts;
    private final List<RunOption.Secret> secrets;
    private final List<RunOption.Ssh> sshSockets;
    private final OpConstraints constraints;

    /** {@code proxy} is null when the step sets none, so its op has no ProxyEnv at all, as in BuildKit. */
    ExecNode(
            RunDefaults settings,
            List<String> args,
            List<Integer> validExitCodes,
            RunOption.Proxy proxy,
            List<MountPoint> unsorted,
            List<RunOption.Secret> secrets,
            List<RunOption.Ssh> sshSockets,
            OpConstraints constraints) {
        this.settings = settings;
        this.args = List.copyOf(args);
        this.validExitCodes = validExitCodes == null ? null : List.copyOf(validExitCodes);
        this.proxy = proxy;
        List<MountPoint> sorted = new ArrayList<>(unsorted);
        sorted.sort(Comparator.comparing(MountPoint::dest));
        int next = 0;
        for (int i = 0; i < sorted.size(); i++) {
            MountPoint mount = sorted.get(i);
            sorted.set(i, mount.numbered(mount.producesOutput() ? next++ : -1));
        }
        this.mounts = List.copyOf(sorted);
        this.secrets = List.copyOf(secrets);
        List<RunOption.Ssh> targeted = new ArrayList<>(sshSockets.size());
        for (int i = 0; i < sshSockets.size(); i++) {
            RunOption.Ssh ssh = sshSockets.get(i);
            targeted.add(ssh.target().isEmpty() ? ssh.target("/run/buildkit/ssh_agent." + i) : ssh);
        }
        this.sshSockets = List.copyOf(targeted);
        this.constraints = constraints;
    }

    MountPoint mount(String dest) {
        return mounts.stream().filter(m -> m.dest().equals(dest)).findFirst().orElse(null);
    }

    List<MountPoint> mounts() {
        return mounts;
    }

    @Override
    public List<NodeOutput> inputsInVisitOrder() {
        Set<NodeOutput> inputs = new LinkedHashSet<>();
        for (MountPoint mount : mounts) {
            if (mount.source() != null) {
                inputs.add(mount.source());
            }
        }
        return List.copyOf(inputs);
    }

    @Override
    public MarshalledOp marshal(DefinitionWriter writer) {
        Map<String, String> env = new LinkedHashMap<>(settings.env());
        if (!sshSockets.isEmpty() && !env.containsKey(SSH_AUTH_SOCK)) {
            env.put(SSH_AUTH_SOCK, sshSockets.getFirst().target());
        }
        OpConstraints caps = constraints;
        Meta.Builder meta = Meta.newBuilder()
                .addAllArgs(args)
                .setCwd(settings.dir())
                .setUser(settings.user())
                .setHostname(settings.hostname())
                .setCgroupParent(settings.cgroupParent())
                .setRemoveMountStubsRecursive(true);
        env.forEach((key, value) -> meta.addEnv(key + "=" + value));
        if (validExitCodes != null) {
            meta.addAllValidExitCodes(validExitCodes);
            caps = caps.withCaps(Caps.EXEC_VALID_EXIT_CODE);
        }
        for (RunOption.ExtraHost host : settings.extraHosts()) {
            meta.addExtraHosts(HostIP.newBuilder().setHost(host.host()).setIP(host.ip()));
        }
        if (!settings.ulimits().isEmpty()) {
            caps = caps.withCaps(Caps.EXEC_META_ULIMIT);
            for (RunOption.Ulimit ulimit : settings.ulimits()) {
                meta.addUlimit(dev.kiln.llb.pb.Ulimit.newBuilder()
                        .setName(ulimit.name())
                        .setSoft(ulimit.soft())
                        .setHard(ulimit.hard()));
            }
        }
        if (proxy != null) {
            meta.setProxyEnv(ProxyEnv.newBuilder()
                    .setHttpProxy(proxy.httpProxy())
                    .setHttpsProxy(proxy.httpsProxy())
                    .setFtpProxy(proxy.ftpProxy())
                    .setNoProxy(proxy.noProxy())
                    .setAllProxy(proxy.allProxy()));
            caps = caps.withCaps(Caps.EXEC_META_PROXY);
        }
        if (settings.network() != NetMode.SANDBOX) {
            caps = caps.withCaps(Caps.EXEC_META_NETWORK);
        }
        if (settings.security() == SecurityMode.INSECURE) {
            caps = caps.withCaps(Caps.EXEC_META_SECURITY);
        }
        caps = caps.withCaps(Caps.EXEC_META_BASE);
        for (MountPoint mount : mounts) {
            if (!mount.selector().isEmpty()) {
                caps = caps.withCaps(Caps.EXEC_MOUNT_SELECTOR);
            }
            if (mount.cache() != null) {
                caps = caps.withCaps(Caps.EXEC_MOUNT_CACHE, Caps.EXEC_MOUNT_CACHE_SHARING);
            } else if (mount.tmpfs() != null) {
                caps = caps.withCaps(Caps.EXEC_MOUNT_TMPFS);
                if (mount.tmpfs().sizeBytes() > 0) {
                    caps = caps.withCaps(Caps.EXEC_MOUNT_TMPFS_SIZE);
                }
            } else if (mount.source() != null) {
                caps = caps.withCaps(Caps.EXEC_MOUNT_BIND);
            }
        }
        if (!secrets.isEmpty()) {
            caps = caps.withCaps(Caps.EXEC_MOUNT_SECRET);
            if (secrets.stream().anyMatch(s -> s.envName() != null)) {
                caps = caps.withCaps(Caps.EXEC_SECRET_ENV);
            }
        }
        if (!sshSockets.isEmpty()) {
            caps = caps.withCaps(Caps.EXEC_MOUNT_SSH);
        }

        Platform platform = constraints.platform() != null
                ? constraints.platform()
                : settings.platform() != null
                        ? settings.platform()
                        : writer.options().defaultPlatform();
        Op.Builder op = caps.newOp(platform);
        ExecOp.Builder exec = ExecOp.newBuilder()
                .setMeta(meta)
                .setNetwork(settings.network().wire())
                .setSecurity(settings.security().wire());
        List<Input> inputs = new ArrayList<>();
        for (MountPoint mount : mounts) {
            long inputIndex = -1;
            if (mount.source() != null) {
                Input input = writer.input(mount.source());
                int found = inputs.indexOf(input);
                if (found < 0) {
                    inputs.add(input);
                    found = inputs.size() - 1;
                }
                inputIndex = found;
            }
            dev.kiln.llb.pb.Mount.Builder pm = dev.kiln.llb.pb.Mount.newBuilder()
                    .setInput(inputIndex)
                    .setDest(mount.dest())
                    .setReadonly(mount.readonly())
                    .setOutput(mount.output())
                    .setSelector(mount.selector());
            if (mount.cache() != null) {
                pm.setMountType(MountType.CACHE)
                        .setCacheOpt(CacheOpt.newBuilder()
                                .setID(mount.cache().id())
                                .setSharing(mount.cache().sharing().wire()));
            }
            if (mount.tmpfs() != null) {
                pm.setMountType(MountType.TMPFS)
                        .setTmpfsOpt(TmpfsOpt.newBuilder().setSize(mount.tmpfs().sizeBytes()));
            }
            exec.addMounts(pm);
        }
        for (RunOption.Secret secret : secrets) {
            if (secret.envName() != null) {
                exec.addSecretenv(SecretEnv.newBuilder()
                        .setID(secret.id())
                        .setName(secret.envName())
                        .setOptional(secret.optional()));
            } else {
                // BuildKit leaves a secret mount's output unset (0); it is never an output of the op.
                exec.addMounts(dev.kiln.llb.pb.Mount.newBuilder()
                        .setInput(-1)
                        .setDest(secret.target())
                        .setMountType(MountType.SECRET)
                        .setSecretOpt(SecretOpt.newBuilder()
                                .setID(secret.id())
                                .setUid(secret.uid())
                                .setGid(secret.gid())
                                .setOptional(secret.optional())
                                .setMode(secret.mode())));
            }
        }
        for (RunOption.Ssh ssh : sshSockets) {
            exec.addMounts(dev.kiln.llb.pb.Mount.newBuilder()
                    .setInput(-1)
                    .setDest(ssh.target())
                    .setMountType(MountType.SSH)
                    .setSSHOpt(SSHOpt.newBuilder()
                            .setID(ssh.id())
                            .setUid(ssh.uid())
                            .setGid(ssh.gid())
                            .setMode(ssh.mode())
                            .setOptional(ssh.optional())));
        }
        return DefinitionWriter.finish(op.addAllInputs(inputs).setExec(exec).build(), caps);
    }

    @Override
    public Platform outputPlatform() {
        return constraints.platform();
    }

    @Override
    public String toString() {
        return "exec " + String.join(" ", args);
    }
}
