package dev.kiln.llb;

/** An LLB definition or graph that cannot be used, with the op and the problem in the message. */
public final class LlbException extends RuntimeException {

    public LlbException(String message) {
        super(message);
    }

    public LlbException(String message, Throwable cause) {
        super(message, cause);
    }
}
