package dev.kiln.oci.registry;

import java.io.IOException;
import java.util.List;

/**
 * A registry operation that failed. The message names the operation, the registry, the repository, the reference
 * (tag or digest) and the HTTP status, and carries the registry's own error messages ({@code {"errors":[...]}}).
 */
public final class RegistryException extends IOException {
    private final String registry;
    private final String repository;
    private final String reference;
    private final int status;
    private final List<String> errorCodes;

    public RegistryException(
            String operation,
            String registry,
            String repository,
            String reference,
            int status,
            List<String> errorCodes,
            String detail,
            Throwable cause) {
        super(message(operation, registry, repository, reference, status, detail), cause);
        this.registry = registry;
        this.repository = repository;
        this.reference = reference == null ? "" : reference;
        this.status = status;
        this.errorCodes = errorCodes == null ? List.of() : List.copyOf(errorCodes);
    }

    private static String message(
            String operation, String registry, String repository, String reference, int status, String detail) {
        StringBuilder text = new StringBuilder(operation).append(": registry ").append(registry);
        if (repository != null && !repository.isEmpty()) {
            text.append(", repository ").append(repository);
        }
        if (reference != null && !reference.isEmpty()) {
            text.append(", reference ").append(reference);
        }
        if (status > 0) {
            text.append(": HTTP ").append(status);
        }
        if (detail != null && !detail.isEmpty()) {
            text.append(": ").append(detail);
        }
        return text.toString();
    }

    /** The registry host as the image reference names it, e.g. "docker.io" or "127.0.0.1:5000". */
    public String registry() {
        return registry;
    }

    public String repository() {
        return repository;
    }

    /** The tag or digest the operation was about, or "". */
    public String reference() {
        return reference;
    }

    /** The HTTP status, or 0 when no response arrived. */
    public int status() {
        return status;
    }

    /** The registry's error codes, e.g. MANIFEST_UNKNOWN, DENIED, UNAUTHORIZED. */
    public List<String> errorCodes() {
        return errorCodes;
    }
}
