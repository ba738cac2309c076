package dev.kiln.oci.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * A user name and password (or token) for a registry.
 *
 * @param source where they came from, for messages, e.g. "/root/.docker/config.json" or "docker-credential-pass"
 */
public record Credentials(String username, String password, String source) {

    public Credentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        source = source == null ? "" : source;
    }

    public static Credentials of(String username, String password) {
        return new Credentials(username, password, "");
    }

    /** The value of an HTTP Basic Authorization header. */
    String basicAuthorization() {
        return "Basic "
                + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "credentials of user '" + username + "'" + (source.isEmpty() ? "" : " from " + source);
    }
}
