package dev.kiln.engine;

/** A build that failed; the message is what the user sees, naming the step and the cause. */
public final class BuildException extends Exception {

    private final transient DebugShell debugShell;

    public BuildException(String message, Throwable cause) {
        this(message, cause, null);
    }

    public BuildException(String message) {
        this(message, null, null);
    }

    BuildException(String message, Throwable cause, DebugShell debugShell) {
        super(message, cause);
        this.debugShell = debugShell;
    }

    /**
     * A way into the failed RUN step, when the build asked for one ({@link BuildRequest#debugOnFailure()}) and a
     * RUN step's process is what failed. The caller closes it.
     */
    public java.util.Optional<DebugShell> debugShell() {
        return java.util.Optional.ofNullable(debugShell);
    }
}
