package dev.kiln.daemon;

import dev.kiln.api.auth.AuthGrpc;
import dev.kiln.api.auth.CredentialsRequest;
import dev.kiln.api.auth.CredentialsResponse;
import dev.kiln.api.session.SessionHeaders;
import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.oci.registry.Credentials;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A build's registry credentials, asked of its client's session (BuildKit's session Auth service, Credentials) the
 * first time the build needs a registry, and kept for that build only. A client that serves no Auth, that answers
 * Unimplemented, or that has nothing for a host gets anonymous access: never the daemon's own credentials, which
 * belong to the daemon's user, not to whoever can reach its socket.
 */
final class SessionCredentials implements CredentialSource {

    static final String METHOD = SessionHeaders.methodUrl("moby.filesync.v1.Auth", "Credentials");

    /** Docker Hub's registry host, which BuildKit's client maps to the docker config's Docker Hub entry. */
    private static final String DOCKER_HUB_HOST = "registry-1.docker.io";

    private final ClientSession session;
    private final Map<String, Optional<Credentials>> answers = new ConcurrentHashMap<>();

    SessionCredentials(ClientSession session) {
        this.session = session;
    }

    @Override
    public Optional<Credentials> find(String registry) throws IOException {
        if (!session.serves(METHOD)) {
            return Optional.empty();
        }
        Optional<Credentials> known = answers.get(registry);
        if (known != null) {
            return known;
        }
        Optional<Credentials> asked = ask(registry);
        answers.put(registry, asked);
        return asked;
    }

    private Optional<Credentials> ask(String registry) throws IOException {
        String host = registry.equals("docker.io") || registry.equals("index.docker.io") ? DOCKER_HUB_HOST : registry;
        CredentialsResponse answer;
        try {
            answer = AuthGrpc.newBlockingStub(session.channel())
                    .credentials(CredentialsRequest.newBuilder().setHost(host).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
                return Optional.empty();
            }
            throw new IOException(
                    "registry credentials for " + registry + ": the client's session failed to give "
                            + "them: " + e.getStatus().getCode()
                            + (e.getStatus().getDescription() == null
                                    ? ""
                                    : ": " + e.getStatus().getDescription()),
                    e);
        }
        if (answer.getUsername().isEmpty() && answer.getSecret().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Credentials(answer.getUsername(), answer.getSecret(), describe()));
    }

    @Override
    public String describe() {
        return session.serves(METHOD)
                ? "the client's session " + session.id()
                : "the client's session " + session.id() + ", which serves no registry credentials";
    }
}
