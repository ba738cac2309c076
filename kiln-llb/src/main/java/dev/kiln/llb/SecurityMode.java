package dev.kiln.llb;

/** The privileges of a run step. */
public enum SecurityMode {
    SANDBOX,
    /** Privileged: all capabilities and devices. */
    INSECURE;

    /** The op's value, which has the same name. */
    dev.kiln.llb.pb.SecurityMode wire() {
        return dev.kiln.llb.pb.SecurityMode.valueOf(name());
    }
}
