package dev.kiln.llb;

/** The network a run step gets. */
public enum NetMode {
    /** The worker's default: an isolated network namespace with outbound access. */
    SANDBOX(dev.kiln.llb.pb.NetMode.UNSET),
    /** The host's network namespace. */
    HOST(dev.kiln.llb.pb.NetMode.HOST),
    /** Loopback only. */
    NONE(dev.kiln.llb.pb.NetMode.NONE);

    private final dev.kiln.llb.pb.NetMode wire;

    NetMode(dev.kiln.llb.pb.NetMode wire) {
        this.wire = wire;
    }

    dev.kiln.llb.pb.NetMode wire() {
        return wire;
    }
}
