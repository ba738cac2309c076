package dev.kiln.worker.runtime;

/** The network a container sees. */
public enum NetworkMode {
  /** A network namespace of its own with only the loopback interface. */
  NONE,
  /** The host's network namespace, with the host's /etc/resolv.conf and /etc/hosts. */
  HOST
}
