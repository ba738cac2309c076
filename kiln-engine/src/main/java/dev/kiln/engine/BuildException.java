package dev.kiln.engine;

/** A build that failed; the message is what the user sees, naming the step and the cause. */
public final class BuildException extends Exception {

    private final transient DebugShell debugShell;
    private final transient java.util.List<CacheMiss> cacheMisses;

    public BuildException(String message, Throwable cause) {
        this(message, cause, null, java.util.List.of());
    }

    public BuildException(String message) {
        this(message, null, null, java.util.List.of());
    }

    BuildException(String message, Throwable cause, DebugShell debugShell) {
        this(message, cause, debugShell, java.util.List.of());
    }

    BuildException(String message, Throwable cause, DebugShell debugShell, java.util.List<CacheMiss> cacheMisses) {
        super(message, cause);
        this.debugShell = debugShell;
        this.cacheMisses = java.util.List.copyOf(cacheMisses);
    }

    /**
     * Why each step that ran before the failure missed the cache, as {@link BuildOutcome#cacheMisses()} says for a
     * build that succeeds; empty when the engine could not tell.
     */
    public java.util.List<CacheMiss> cacheMisses() {
        return cacheMisses;
    }

    /**
     * A way into the failed RUN step, when the build asked for one ({@link BuildRequest#debugOnFailure()}) and a
     * RUN step's process is what failed. The caller closes it.
     */
    public java.util.Optional<DebugShell> debugShell() {
        return java.util.Optional.ofNullable(debugShell);
    }
}
