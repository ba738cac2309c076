package dev.kiln.worker.runtime;

/** The network a container sees. */
public enum NetworkMode {
    /**
     * A network namespace of its own with only the loopback interface; /etc/resolv.conf is the host's without
     * loopback nameservers, as BuildKit gives it.
     */
    NONE,
    /** The host's network namespace and nameservers (loopback ones included); /etc/hosts is the container's own. */
    HOST
}
