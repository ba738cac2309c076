package dev.kiln.cli.remote;

import com.google.protobuf.ByteString;
import dev.kiln.api.DiscardingObserver;
import dev.kiln.api.session.SocketSink;
import dev.kiln.api.sshforward.BytesMessage;
import dev.kiln.api.sshforward.CheckAgentRequest;
import dev.kiln.api.sshforward.CheckAgentResponse;
import dev.kiln.api.sshforward.SSHGrpc;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;

/**
 * The session's SSH service: {@code --ssh ID=SOCKET} agents. Each ForwardAgent stream is one connection to the
 * agent's socket, its bytes pumped both ways; the agent id comes in the call's {@code buildkit.ssh.id} header, as
 * BuildKit sends it (none: "default").
 */
public final class SshService implements SSHGrpc.AsyncService, BindableService {

    private static final Metadata.Key<String> ID_HEADER =
            Metadata.Key.of("buildkit.ssh.id", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<String> AGENT_ID = Context.key("buildkit.ssh.id");

    private final Map<String, Path> agents;

    public SshService(Map<String, Path> agents) {
        this.agents = Map.copyOf(agents);
    }

    /** The service with the interceptor that reads the agent id from each call's headers. */
    @Override
    public ServerServiceDefinition bindService() {
        return ServerInterceptors.intercept(SSHGrpc.bindService(this), new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                String id = headers.get(ID_HEADER);
                return Contexts.interceptCall(
                        Context.current().withValue(AGENT_ID, id == null || id.isEmpty() ? "default" : id),
                        call,
                        headers,
                        next);
            }
        });
    }

    @Override
    public void checkAgent(CheckAgentRequest request, StreamObserver<CheckAgentResponse> response) {
        if (socket(request.getID().isEmpty() ? "default" : request.getID(), response) != null) {
            response.onNext(CheckAgentResponse.getDefaultInstance());
            response.onCompleted();
        }
    }

    @Override
    public StreamObserver<BytesMessage> forwardAgent(StreamObserver<BytesMessage> toDaemon) {
        String id = AGENT_ID.get();
        Path socket = socket(id == null ? "default" : id, toDaemon);
        if (socket == null) {
            return new DiscardingObserver<>();
        }
        SocketChannel agent;
        try {
            agent = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            toDaemon.onError(Status.UNAVAILABLE
                    .withDescription("ssh agent " + socket + ": " + e.getMessage())
                    .asRuntimeException());
            return new DiscardingObserver<>();
        }
        Thread.ofVirtual().name("kiln-ssh-agent").start(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(32 * 1024);
            try (agent) {
                while (agent.read(buffer.clear()) >= 0) {
                    buffer.flip();
                    synchronized (toDaemon) {
                        toDaemon.onNext(BytesMessage.newBuilder()
                                .setData(ByteString.copyFrom(buffer))
                                .build());
                    }
                }
                synchronized (toDaemon) {
                    toDaemon.onCompleted();
                }
            } catch (IOException | RuntimeException e) {
                synchronized (toDaemon) {
                    toDaemon.onError(Status.UNAVAILABLE
                            .withDescription("ssh agent: " + e.getMessage())
                            .asRuntimeException());
                }
            }
        });
        return new SocketSink(agent, true);
    }

    /** The socket of agent {@code id}; null, and the call ended with NOT_FOUND as BuildKit words it, when unset. */
    private Path socket(String id, StreamObserver<?> call) {
        Path socket = agents.get(id);
        if (socket == null) {
            call.onError(Status.NOT_FOUND
                    .withDescription("unset ssh forward key " + id)
                    .asRuntimeException());
        }
        return socket;
    }
}
