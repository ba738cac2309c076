package dev.kiln.dockerfile.instructions;

/** An instruction whose arguments or flags are not valid; the message is the reason, without a location. */
public final class InstructionException extends Exception {

    public InstructionException(String message) {
        super(message);
    }
}
