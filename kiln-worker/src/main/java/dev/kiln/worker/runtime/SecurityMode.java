package dev.kiln.worker.runtime;

/** How much of the kernel a container may reach. */
public enum SecurityMode {
    /**
     * Docker's default capability set, a seccomp filter refusing the syscalls that reach past the container
     * (modules, mounts, new namespaces, kexec, keyrings, ...), read-only /sys and masked parts of /proc.
     */
    SANDBOX,
    /** Every capability, no seccomp filter, writable /sys and an unmasked /proc (BuildKit's security.insecure). */
    INSECURE
}
