package dev.kiln.api.http2;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.function.Consumer;

/** What a test's gRPC server received as a call's headers: the tests check what the client's channel sent. */
public final class ServerHeaders {

    private ServerHeaders() {}

    /** An interceptor that hands each call's headers to {@code seen}, then lets the call through unchanged. */
    public static ServerInterceptor to(Consumer<Metadata> seen) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, R> call, Metadata md, ServerCallHandler<Q, R> next) {
                seen.accept(md);
                return next.startCall(call, md);
            }
        };
    }
}
