package dev.kiln.cli.remote;

import dev.kiln.api.auth.AuthGrpc;
import dev.kiln.api.auth.CredentialsRequest;
import dev.kiln.api.auth.CredentialsResponse;
import dev.kiln.oci.registry.Credentials;
import dev.kiln.oci.registry.DockerConfig;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Optional;

/**
 * The session's Auth service: registry credentials from the user's docker config (credential helpers included), so
 * a daemon pulls and pushes as the user who runs the build, as with buildctl and buildx. The config is read on the
 * first request: a build that touches no registry pays nothing. Token and authority methods stay unimplemented,
 * which BuildKit takes as "use Credentials".
 */
public final class AuthService extends AuthGrpc.AuthImplBase {

    private DockerConfig config;

    @Override
    public void credentials(CredentialsRequest request, StreamObserver<CredentialsResponse> response) {
        try {
            Optional<Credentials> found = config().find(request.getHost());
            CredentialsResponse.Builder answer = CredentialsResponse.newBuilder();
            found.ifPresent(
                    credentials -> answer.setUsername(credentials.username()).setSecret(credentials.password()));
            response.onNext(answer.build());
            response.onCompleted();
        } catch (IOException e) {
            response.onError(Status.INTERNAL
                    .withDescription("credentials for " + request.getHost() + ": " + e.getMessage())
                    .asRuntimeException());
        }
    }

    private synchronized DockerConfig config() throws IOException {
        if (config == null) {
            config = DockerConfig.fromEnvironment();
        }
        return config;
    }
}
