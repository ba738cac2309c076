package dev.kiln.daemon;

import dev.kiln.api.StreamServer;
import dev.kiln.engine.gateway.FrontendBridge;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.WorkerInfo;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * The engine's {@link FrontendBridge}: a frontend container's LLBBridge is the daemon's {@link LlbBridgeService},
 * bound to a {@link ForwardedBuild} of its own (which keeps the ids of its references and containers and waits for
 * its Return, as for buildctl's forwarded builds) and served on a private connection ({@link StreamServer}) whose
 * bytes travel over the container's stdin and stdout. The daemon's engine and the embedded one
 * ({@code kiln build --no-daemon}) find it on the class path.
 */
public final class ContainerBridge implements FrontendBridge {

    /** For {@link java.util.ServiceLoader}. */
    public ContainerBridge() {}

    @Override
    public Connection open(Client client, String frontend) throws IOException {
        return new BridgeConnection(client, frontend);
    }

    private static final class BridgeConnection implements Connection {
        private final Client client;
        private final ForwardedBuild build;
        private final StreamServer server;
        private final InputStream toFrontend;
        private volatile BooleanSupplier frontendEnded = () -> false;
        private volatile boolean ended;
        private volatile long firstCall;

        BridgeConnection(Client client, String frontend) throws IOException {
            this.client = client;
            this.build = new ForwardedBuild(
                    "frontend-" + UUID.randomUUID().toString().replace("-", ""),
                    () -> ended || frontendEnded.getAsBoolean());
            List<WorkerInfo> workers = client.buildOpts().workers();
            DaemonInfo info = DaemonInfo.of(
                    workers.isEmpty() ? new WorkerInfo("local", Map.of(), List.of()) : workers.getFirst());
            ServerInterceptor firstCalls = new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(
                        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                    if (firstCall == 0) {
                        firstCall = System.nanoTime();
                    }
                    return next.startCall(call, headers);
                }
            };
            this.server = StreamServer.serve(List.of(new LlbBridgeService(build, info)), List.of(firstCalls));
            // the server's end of its bytes is the connection's end: the frontend closed its stdout or wrote garbage
            this.toFrontend = new FilterInputStream(server.fromServer()) {
                @Override
                public int read() throws IOException {
                    return seen(super.read());
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    try {
                        return seen(super.read(buffer, offset, length));
                    } catch (IOException e) {
                        ended = true;
                        throw e;
                    }
                }

                private int seen(int n) {
                    if (n < 0) {
                        ended = true;
                    }
                    return n;
                }
            };
        }

        @Override
        public InputStream toFrontend() {
            return toFrontend;
        }

        @Override
        public OutputStream fromFrontend() {
            return server.toServer();
        }

        @Override
        public Result awaitResult(BooleanSupplier frontendEnded) throws InterruptedException {
            this.frontendEnded = frontendEnded;
            try {
                return build.function().build(client);
            } catch (GatewayException | InterruptedException e) {
                throw e;
            } catch (Exception e) {
                throw new GatewayException(String.valueOf(e.getMessage()), e);
            }
        }

        @Override
        public boolean ended() {
            return ended && !build.returned();
        }

        @Override
        public long firstCallNanos() {
            return firstCall;
        }

        @Override
        public void close() {
            build.end("the frontend's build has ended");
            server.close();
        }
    }
}
