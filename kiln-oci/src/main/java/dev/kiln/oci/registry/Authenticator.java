package dev.kiln.oci.registry;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The auth state of a client per registry: the last challenge each registry made (Basic or Bearer), credentials
 * looked up once, and bearer tokens cached by registry and scope until they expire (the token flow of the
 * distribution spec: realm, service, scope; "token" or "access_token" in the answer). The state belongs to one
 * credential source: a client view with other credentials gets an authenticator of its own.
 */
final class Authenticator {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DEFAULT_TOKEN_SECONDS = 60;

    private final CredentialSource credentials;
    private final HttpClient http;
    private final Clock clock;
    private final String userAgent;
    private final ConcurrentMap<String, AuthChallenge> challenges = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, BearerToken> tokens = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Optional<Credentials>> found = new ConcurrentHashMap<>();

    Authenticator(CredentialSource credentials, HttpClient http, Clock clock, String userAgent) {
        this.credentials = credentials;
        this.http = http;
        this.clock = clock;
        this.userAgent = userAgent;
    }

    /**
     * Fresh auth state for {@code other} on the same HTTP client: no challenge, credential or token of this one
     * carries over, so a token fetched with one client's credentials can never be sent for another's.
     */
    Authenticator withCredentials(CredentialSource other) {
        return new Authenticator(other, http, clock, userAgent);
    }

    /** The Authorization header for a request, once the registry has said what it wants. */
    Optional<String> authorization(RegistryRequest request) throws IOException {
        AuthChallenge challenge = challenges.get(request.registry());
        if (challenge == null) {
            return Optional.empty();
        }
        return switch (challenge.scheme()) {
            case "basic" -> credentialsFor(request.registry()).map(Credentials::basicAuthorization);
            case "bearer" ->
                Optional.of(
                        "Bearer " + token(request, challenge, request.scopes()).value());
            default -> Optional.empty();
        };
    }

    /**
     * Takes in the challenges of a 401 answer.
     *
     * @return true when a retry can succeed: a new token, or credentials not yet sent
     */
    boolean acceptChallenge(RegistryRequest request, List<String> wwwAuthenticate) throws IOException {
        List<AuthChallenge> offered = AuthChallenge.parse(wwwAuthenticate);
        AuthChallenge previous = challenges.get(request.registry());
        Optional<AuthChallenge> bearer =
                offered.stream().filter(c -> c.scheme().equals("bearer")).findFirst();
        if (bearer.isPresent() && !bearer.get().parameter("realm").isEmpty()) {
            challenges.put(request.registry(), bearer.get());
            List<String> scopes = new ArrayList<>(request.scopes());
            scopes.addAll(List.of(bearer.get().parameter("scope").split(" ")));
            tokens.remove(key(request.registry(), request.scopes()));
            BearerToken token = fetchToken(request, bearer.get(), Scopes.merge(scopes));
            tokens.put(key(request.registry(), request.scopes()), token);
            return true;
        }
        Optional<AuthChallenge> basic =
                offered.stream().filter(c -> c.scheme().equals("basic")).findFirst();
        if (basic.isPresent()) {
            challenges.put(request.registry(), basic.get());
            boolean alreadySent = previous != null && previous.scheme().equals("basic");
            return !alreadySent && credentialsFor(request.registry()).isPresent();
        }
        return false;
    }

    /** Why a 401 remained, for the error message. */
    String explainRefusal(String registry) throws IOException {
        Optional<Credentials> known = credentialsFor(registry);
        AuthChallenge challenge = challenges.get(registry);
        String scheme = challenge == null ? "" : " (" + challenge.scheme() + " auth)";
        if (known.isEmpty()) {
            return "authentication required" + scheme + " and no credentials for " + registry + " were found in "
                    + credentials.describe();
        }
        return "the registry refused the " + known.get() + scheme;
    }

    private BearerToken token(RegistryRequest request, AuthChallenge challenge, List<String> scopes)
            throws IOException {
        String key = key(request.registry(), scopes);
        BearerToken cached = tokens.get(key);
        if (cached != null && cached.validAt(clock.instant())) {
            return cached;
        }
        BearerToken fresh = fetchToken(request, challenge, scopes);
        tokens.put(key, fresh);
        return fresh;
    }

    private BearerToken fetchToken(RegistryRequest request, AuthChallenge challenge, List<String> scopes)
            throws IOException {
        String realm = challenge.parameter("realm");
        StringBuilder query = new StringBuilder();
        if (!challenge.parameter("service").isEmpty()) {
            query.append("service=").append(encode(challenge.parameter("service")));
        }
        for (String scope : Scopes.merge(scopes)) {
            query.append(query.isEmpty() ? "" : "&").append("scope=").append(encode(scope));
        }
        URI uri;
        try {
            uri = URI.create(realm + (query.isEmpty() ? "" : (realm.contains("?") ? "&" : "?") + query));
        } catch (IllegalArgumentException e) {
            throw request.failure(0, List.of(), "the registry's token realm \"" + realm + "\" is not a URI", e);
        }
        HttpRequest.Builder token = HttpRequest.newBuilder(uri).GET().header("User-Agent", userAgent);
        if (uri.getScheme().equals("http")) {
            token.version(HttpClient.Version.HTTP_1_1);
        }
        Optional<Credentials> known = credentialsFor(request.registry());
        known.ifPresent(c -> token.header("Authorization", c.basicAuthorization()));
        HttpResponse<InputStream> response;
        try {
            response = http.send(token.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted requesting a token from " + realm);
        } catch (IOException e) {
            throw request.failure(0, List.of(), "cannot reach the token server " + realm + ": " + e.getMessage(), e);
        }
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(1 << 20);
        }
        if (response.statusCode() != 200) {
            String who = known.map(c -> " for the " + c)
                    .orElse(" (anonymous; no credentials for " + request.registry() + " in " + credentials.describe()
                            + ")");
            throw request.failure(
                    response.statusCode(),
                    RegistryErrors.codes(body),
                    "the token server " + realm + " refused a token" + who + " with HTTP " + response.statusCode()
                            + RegistryErrors.describe(body, ": "),
                    null);
        }
        return parseToken(request, realm, body);
    }

    private BearerToken parseToken(RegistryRequest request, String realm, byte[] body) throws RegistryException {
        JsonNode answer;
        try {
            answer = JSON.readTree(body);
        } catch (JacksonException e) {
            throw request.failure(
                    200, List.of(), "the token server " + realm + " answered with something other than JSON", e);
        } catch (IOException e) {
            throw request.failure(200, List.of(), "unreadable answer from the token server " + realm, e);
        }
        String value = answer == null ? "" : answer.path("token").asText("");
        if (value.isEmpty() && answer != null) {
            value = answer.path("access_token").asText("");
        }
        if (value.isEmpty()) {
            throw request.failure(
                    200,
                    List.of(),
                    "the token server " + realm + " answered without a token "
                            + "(neither \"token\" nor \"access_token\")",
                    null);
        }
        long seconds = answer.path("expires_in").asLong(0);
        // Counted from our own clock, not the server's issued_at: a token server whose clock is off must not make every
        // token look expired (or eternal) here.
        return new BearerToken(value, clock.instant().plusSeconds(seconds > 0 ? seconds : DEFAULT_TOKEN_SECONDS));
    }

    private Optional<Credentials> credentialsFor(String registry) throws IOException {
        Optional<Credentials> cached = found.get(registry);
        if (cached != null) {
            return cached;
        }
        Optional<Credentials> looked = credentials.find(registry);
        found.put(registry, looked);
        return looked;
    }

    private static String key(String registry, List<String> scopes) {
        return registry + " " + String.join(" ", Scopes.merge(scopes));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
