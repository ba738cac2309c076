package dev.kiln.worker.ops;

import dev.kiln.solver.ShortText;

/** A RUN step's process ended with an exit code the step does not accept. */
public final class ExecFailedException extends Exception {

    private final int exitCode;
    private final FailedStep step;

    ExecFailedException(String command, int exitCode, String lastOutput, FailedStep step) {
        super("process \"" + ShortText.of(command) + "\" did not complete successfully: exit code: " + exitCode
                + (lastOutput.isEmpty() ? "" : "\nlast output:\n" + lastOutput.stripTrailing()));
        this.exitCode = exitCode;
        this.step = step;
    }

    /** The failed RUN step behind {@code error} or one of its causes, or null when no RUN step's process failed. */
    public static FailedStep stepOf(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof ExecFailedException failed) {
                return failed.step();
            }
        }
        return null;
    }

    public int exitCode() {
        return exitCode;
    }

    /** The step as it was at the failure, for a debug shell; its root snapshot belongs to whoever catches this. */
    public FailedStep step() {
        return step;
    }
}
