package dev.kiln.engine;

/** A build that failed; the message is what the user sees, naming the step and the cause. */
public final class BuildException extends Exception {

    public BuildException(String message, Throwable cause) {
        super(message, cause);
    }

    public BuildException(String message) {
        super(message);
    }
}
