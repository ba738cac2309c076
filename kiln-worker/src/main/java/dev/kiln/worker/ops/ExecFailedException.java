package dev.kiln.worker.ops;

import dev.kiln.solver.ShortText;

/**
 * A RUN step's process ended with an exit code the step does not accept. The message is BuildKit's, without the
 * process's output: that reached the build's progress as the step's log, which clients show again under the failure
 * (buildctl's and Kiln's {@code ------ > STEP: ... ------} block); a caller without the progress has
 * {@link #lastOutput()}.
 */
public final class ExecFailedException extends Exception {

    private final int exitCode;
    private final String lastOutput;
    private final FailedStep step;

    ExecFailedException(String command, int exitCode, String lastOutput, FailedStep step) {
        super("process \"" + ShortText.of(command) + "\" did not complete successfully: exit code: " + exitCode);
        this.exitCode = exitCode;
        this.lastOutput = lastOutput;
        this.step = step;
    }

    /** The last lines the process wrote, stdout and stderr as they came. */
    public String lastOutput() {
        return lastOutput;
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
