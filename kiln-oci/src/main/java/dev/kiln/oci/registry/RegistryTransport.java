package dev.kiln.oci.registry;

import dev.kiln.core.IoFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;

/**
 * Sends registry requests: picks HTTP or HTTPS per registry, adds auth (answering a 401 challenge once per
 * request), follows redirects itself (so a registry's token never goes to the storage host a blob redirects to),
 * and repeats idempotent requests after network failures, 429 and 5xx answers. A request without a body waits for
 * its answer's headers at most the read timeout; reading bodies is timed by {@link ReadTimeoutInputStream}.
 */
final class RegistryTransport {
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final HttpClient http;
    private final Authenticator authenticator;
    private final Set<String> insecure;
    private final String userAgent;
    private final int retries;
    private final Duration backoff;
    private final Duration readTimeout;
    private final ConcurrentMap<String, RegistryEndpoint> endpoints;

    /** @param endpoints where each registry is reached, found once per registry and shared with the copies */
    RegistryTransport(
            HttpClient http,
            Authenticator authenticator,
            Set<String> insecure,
            String userAgent,
            int retries,
            Duration backoff,
            Duration readTimeout,
            ConcurrentMap<String, RegistryEndpoint> endpoints) {
        this.http = http;
        this.authenticator = authenticator;
        this.insecure = Set.copyOf(insecure);
        this.userAgent = userAgent;
        this.retries = retries;
        this.backoff = backoff;
        this.readTimeout = readTimeout;
        this.endpoints = endpoints;
    }

    /** This transport with other auth state; where each registry is reached (its endpoint) stays shared. */
    RegistryTransport withAuthenticator(Authenticator other) {
        return new RegistryTransport(http, other, insecure, userAgent, retries, backoff, readTimeout, endpoints);
    }

    Authenticator authenticator() {
        return authenticator;
    }

    RegistryEndpoint endpoint(String registry) {
        return endpoints.computeIfAbsent(registry, name -> RegistryEndpoint.of(name, insecure));
    }

    int retries() {
        return retries;
    }

    /** Waits before attempt number {@code attempt} (1 for the first repeat), doubling each time. */
    void pause(int attempt) throws InterruptedIOException {
        try {
            Thread.sleep(backoff.multipliedBy(1L << Math.min(attempt - 1, 10)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting to retry a registry request");
        }
    }

    /**
     * Sends {@code request} and returns the response, whatever its status, after auth, redirects and retries. The
     * caller owns the response body.
     */
    HttpResponse<InputStream> send(RegistryRequest request) throws IOException {
        RegistryEndpoint endpoint = endpoint(request.registry());
        URI uri = request.uri();
        int attempt = 0;
        int redirects = 0;
        boolean challenged = false;
        while (true) {
            boolean ownOrigin = endpoint.sameOrigin(uri);
            HttpRequest.Builder builder = HttpRequest.newBuilder(uri).header("User-Agent", userAgent);
            if (uri.getScheme().equals("http")) {
                builder.version(HttpClient.Version.HTTP_1_1);
            }
            request.headers().forEach(builder::header);
            if (request.body() == null) {
                // The JDK's timeout runs until the answer's headers arrive, so it must not cover sending a large body.
                builder.timeout(readTimeout);
            }
            if (ownOrigin) {
                Optional<String> authorization = authenticator.authorization(request);
                authorization.ifPresent(value -> builder.header("Authorization", value));
            }
            builder.method(
                    request.method(),
                    request.body() == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : request.body().get());
            HttpResponse<InputStream> response;
            try {
                response = http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted " + request.operation());
            } catch (IOException e) {
                if (request.idempotent() && attempt < retries) {
                    pause(++attempt);
                    continue;
                }
                throw request.failure(
                        0, List.of(), "cannot reach " + endpoint.base() + ": " + IoFailure.describe(e), e);
            }
            int status = response.statusCode();
            if (status == 401 && ownOrigin && !challenged) {
                challenged = true;
                byte[] body;
                try (InputStream in = response.body()) {
                    body = in.readNBytes(MAX_ERROR_BODY);
                }
                if (authenticator.acceptChallenge(request, response.headers().allValues("WWW-Authenticate"))) {
                    continue;
                }
                return new ReadResponse(response, body);
            }
            if (isRedirect(status)
                    && (request.method().equals("GET") || request.method().equals("HEAD"))) {
                Optional<String> location = response.headers().firstValue("Location");
                if (location.isPresent() && redirects < MAX_REDIRECTS) {
                    discard(response);
                    uri = uri.resolve(location.get());
                    redirects++;
                    continue;
                }
            }
            if ((status == 429 || status >= 500) && request.idempotent() && attempt < retries) {
                discard(response);
                pause(++attempt);
                continue;
            }
            return response;
        }
    }

    /** The failure for an unexpected response, with the registry's error message; closes the body. */
    RegistryException failure(RegistryRequest request, HttpResponse<InputStream> response) throws IOException {
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_ERROR_BODY);
        }
        int status = response.statusCode();
        String detail = RegistryErrors.describe(body, "");
        if (detail.isEmpty()) {
            detail = switch (status) {
                case 404 -> "not found";
                case 403 -> "access denied";
                default -> "";
            };
        }
        if (status == 401) {
            detail = authenticator.explainRefusal(request.registry()) + (detail.isEmpty() ? "" : ": " + detail);
        }
        return request.failure(status, RegistryErrors.codes(body), detail, null);
    }

    /** Reads a short body to its end, so the connection can serve the next request, and closes it. */
    static void discard(HttpResponse<InputStream> response) throws IOException {
        try (InputStream in = response.body()) {
            in.readNBytes(MAX_ERROR_BODY);
        }
    }

    static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse("");
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    static Map<String, String> headers(String... namesAndValues) {
        java.util.LinkedHashMap<String, String> headers = new java.util.LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }
}
