package dev.kiln.gateway;

import dev.kiln.llb.pb.HostIP;
import dev.kiln.llb.pb.NetMode;
import dev.kiln.llb.pb.Platform;
import dev.kiln.llb.pb.WorkerConstraints;
import java.util.List;

/**
 * A container to create: its mounts (one of them at "/" is the rootfs), network, platform and host name.
 *
 * @param hostname the container's host name; empty for BuildKit's default
 */
public record NewContainerRequest(
        List<Mount> mounts,
        NetMode netMode,
        List<HostIP> extraHosts,
        Platform platform,
        WorkerConstraints constraints,
        String hostname) {

    public NewContainerRequest {
        mounts = List.copyOf(mounts);
        netMode = netMode == null ? NetMode.UNSET : netMode;
        extraHosts = List.copyOf(extraHosts == null ? List.of() : extraHosts);
        hostname = hostname == null ? "" : hostname;
    }

    public NewContainerRequest(
            List<Mount> mounts,
            NetMode netMode,
            List<HostIP> extraHosts,
            Platform platform,
            WorkerConstraints constraints) {
        this(mounts, netMode, extraHosts, platform, constraints, "");
    }

    public static NewContainerRequest of(List<Mount> mounts) {
        return new NewContainerRequest(mounts, NetMode.UNSET, List.of(), null, null, "");
    }
}
