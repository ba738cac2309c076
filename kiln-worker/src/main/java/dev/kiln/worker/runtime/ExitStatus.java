package dev.kiln.worker.runtime;

/** How a container's process ended: its exit code, or 128 + the signal number if a signal killed it. */
public record ExitStatus(int code) {
    public boolean success() {
        return code == 0;
    }

    /** The signal that killed the process, or 0. */
    public int signal() {
        return code > 128 && code < 128 + 65 ? code - 128 : 0;
    }
}
