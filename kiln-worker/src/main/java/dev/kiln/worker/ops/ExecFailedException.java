package dev.kiln.worker.ops;

/** A RUN step's process ended with an exit code the step does not accept. */
public final class ExecFailedException extends Exception {

    private final int exitCode;

    ExecFailedException(String command, int exitCode, String lastOutput) {
        super("process \"" + command + "\" did not complete successfully: exit code: " + exitCode
                + (lastOutput.isEmpty() ? "" : "\nlast output:\n" + lastOutput.stripTrailing()));
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
