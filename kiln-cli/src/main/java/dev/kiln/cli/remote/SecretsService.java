package dev.kiln.cli.remote;

import com.google.protobuf.ByteString;
import dev.kiln.api.secrets.GetSecretRequest;
import dev.kiln.api.secrets.GetSecretResponse;
import dev.kiln.api.secrets.SecretsGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Map;

/**
 * The session's Secrets service: the values of {@code --secret}, read by the client before the build and handed to
 * the daemon only when a step mounts one. An unknown id is NotFound, which BuildKit reports as "secret ID not found"
 * (or skips for an optional mount).
 */
public final class SecretsService extends SecretsGrpc.SecretsImplBase {

    private final Map<String, byte[]> secrets;

    public SecretsService(Map<String, byte[]> secrets) {
        this.secrets = Map.copyOf(secrets);
    }

    @Override
    public void getSecret(GetSecretRequest request, StreamObserver<GetSecretResponse> response) {
        byte[] value = secrets.get(request.getID());
        if (value == null) {
            response.onError(Status.NOT_FOUND
                    .withDescription("secret " + request.getID() + " not found")
                    .asRuntimeException());
            return;
        }
        response.onNext(GetSecretResponse.newBuilder()
                .setData(ByteString.copyFrom(value))
                .build());
        response.onCompleted();
    }
}
