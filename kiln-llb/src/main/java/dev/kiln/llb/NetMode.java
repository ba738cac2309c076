package dev.kiln.llb;

/** The network a run step gets. */
public enum NetMode {
    /** The worker's default: an isolated network namespace with outbound access. */
    SANDBOX,
    /** The host's network namespace. */
    HOST,
    /** Loopback only. */
    NONE;

    /** The op's value; the sandbox is the default, which the wire leaves unset. */
    dev.kiln.llb.pb.NetMode wire() {
        return switch (this) {
            case SANDBOX -> dev.kiln.llb.pb.NetMode.UNSET;
            case HOST -> dev.kiln.llb.pb.NetMode.HOST;
            case NONE -> dev.kiln.llb.pb.NetMode.NONE;
        };
    }
}
