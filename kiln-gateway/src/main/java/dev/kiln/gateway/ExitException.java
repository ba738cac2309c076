package dev.kiln.gateway;

/** A container process ended with a non-zero status; {@link #exitCode()} says which. */
public final class ExitException extends GatewayException {

    private final int exitCode;

    public ExitException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
