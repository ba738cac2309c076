package dev.kiln.worker.runtime;

/** The network a container sees. */
public enum NetworkMode {
  /** A network namespace of its own with only the loopback interface. */
  NONE,
  /** The host's network namespace and /etc/resolv.conf; /etc/hosts is the container's own, as for NONE. */
  HOST
}
