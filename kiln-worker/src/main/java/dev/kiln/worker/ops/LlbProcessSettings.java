package dev.kiln.worker.ops;

import dev.kiln.llb.pb.HostIP;
import dev.kiln.llb.pb.NetMode;
import dev.kiln.worker.runtime.HostEntry;
import dev.kiln.worker.runtime.NetworkMode;
import dev.kiln.worker.runtime.SecurityMode;
import java.util.List;

/**
 * LLB's settings of a process as the container runtime takes them, for a RUN step and for a gateway client's
 * container alike: both must read BuildKit's values the same way. The runtime package itself knows no LLB.
 */
public final class LlbProcessSettings {

    private LlbProcessSettings() {}

    /** BuildKit's default ("sandbox") network without CNI is the host's: only {@code NONE} cuts a process off. */
    public static NetworkMode network(NetMode mode) {
        return mode == NetMode.NONE ? NetworkMode.NONE : NetworkMode.HOST;
    }

    /** Only an explicit {@code INSECURE} leaves the sandbox. */
    public static SecurityMode security(dev.kiln.llb.pb.SecurityMode mode) {
        return mode == dev.kiln.llb.pb.SecurityMode.INSECURE ? SecurityMode.INSECURE : SecurityMode.SANDBOX;
    }

    public static List<HostEntry> extraHosts(List<HostIP> hosts) {
        return hosts.stream().map(h -> new HostEntry(h.getHost(), h.getIP())).toList();
    }
}
