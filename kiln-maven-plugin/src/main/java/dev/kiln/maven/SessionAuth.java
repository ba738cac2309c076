package dev.kiln.maven;

import dev.kiln.api.auth.AuthGrpc;
import dev.kiln.api.auth.CredentialsRequest;
import dev.kiln.api.auth.CredentialsResponse;
import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.oci.registry.Credentials;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Optional;

/**
 * The Auth service of the plugin's session with a daemon: the daemon asks it for a registry's credentials when its
 * build first pulls or pushes there, and it answers from the plugin's own sources (the POM's {@code <auth>},
 * settings.xml servers, docker's config), so a build through the daemon uses the same credentials as one on the
 * embedded engine. A host without credentials gets an empty answer, which the daemon takes as anonymous access.
 */
final class SessionAuth extends AuthGrpc.AuthImplBase {

    private final CredentialSource credentials;

    SessionAuth(CredentialSource credentials) {
        this.credentials = credentials;
    }

    @Override
    public void credentials(CredentialsRequest request, StreamObserver<CredentialsResponse> response) {
        Optional<Credentials> found;
        try {
            found = credentials.find(request.getHost());
        } catch (IOException e) {
            response.onError(Status.UNAVAILABLE
                    .withDescription("the credentials of " + request.getHost() + " (" + credentials.describe() + "): "
                            + e.getMessage())
                    .asRuntimeException());
            return;
        }
        CredentialsResponse.Builder answer = CredentialsResponse.newBuilder();
        if (found.isPresent()) {
            answer.setUsername(found.get().username()).setSecret(found.get().password());
        }
        response.onNext(answer.build());
        response.onCompleted();
    }
}
