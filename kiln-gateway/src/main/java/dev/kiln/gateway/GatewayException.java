package dev.kiln.gateway;

/** A failure reported through the gateway API; its message names what failed and where. */
public class GatewayException extends RuntimeException {

    public GatewayException(String message) {
        super(message);
    }

    public GatewayException(String message, Throwable cause) {
        super(message, cause);
    }
}
