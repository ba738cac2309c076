package dev.kiln.llb;

/** The privileges of a run step. */
public enum SecurityMode {
    SANDBOX(dev.kiln.llb.pb.SecurityMode.SANDBOX),
    /** Privileged: all capabilities and devices. */
    INSECURE(dev.kiln.llb.pb.SecurityMode.INSECURE);

    private final dev.kiln.llb.pb.SecurityMode wire;

    SecurityMode(dev.kiln.llb.pb.SecurityMode wire) {
        this.wire = wire;
    }

    dev.kiln.llb.pb.SecurityMode wire() {
        return wire;
    }
}
