package dev.kiln.oci.registry;

import dev.kiln.core.ImageReference;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublisher;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One call to a registry's API, with what error messages and auth need to know about it.
 *
 * @param operation what is being done, for messages, e.g. "fetching manifest"
 * @param repository the repository (its registry and path; tag and digest are ignored)
 * @param reference the tag or digest concerned, or ""
 * @param method the HTTP method
 * @param uri the URI
 * @param headers request headers
 * @param body a new publisher of the body for each attempt, or null for none
 * @param scopes the token scopes the call needs, e.g. "repository:app:pull"
 * @param idempotent whether the call may be repeated after a network failure or a 5xx
 */
record RegistryRequest(
        String operation,
        ImageReference repository,
        String reference,
        String method,
        URI uri,
        Map<String, String> headers,
        Supplier<BodyPublisher> body,
        List<String> scopes,
        boolean idempotent) {

    RegistryRequest {
        headers = Map.copyOf(headers);
        scopes = List.copyOf(scopes);
    }

    String registry() {
        return repository.domain();
    }

    RegistryException failure(int status, List<String> codes, String detail, Throwable cause) {
        return new RegistryException(
                operation, repository.domain(), repository.path(), reference, status, codes, detail, cause);
    }
}
