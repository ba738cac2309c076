package dev.kiln.api.session;

import dev.kiln.api.control.BytesMessage;
import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.http2.ServerHeaders;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A daemon and a client joined the real way: a Control server on a unix socket whose Session method dials a
 * tunnel, and a client that opens Session on it and serves its services through the tunnel. Tests use
 * {@link #daemonChannel()} as the daemon would.
 */
final class SessionFixture implements AutoCloseable {

    final Server control;
    final ManagedChannel clientChannel;
    final SessionTunnel clientTunnel;
    final CompletableFuture<SessionTunnel> daemonTunnel = new CompletableFuture<>();
    final CompletableFuture<Metadata> sessionHeaders = new CompletableFuture<>();
    private final EpollEventLoopGroup group = new EpollEventLoopGroup(1);

    SessionFixture(Path socketDir, List<BindableService> clientServices) throws Exception {
        Path socket = socketDir.resolve("control.sock");
        ServerInterceptor headers = ServerHeaders.to(sessionHeaders::complete);
        control = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(group)
                .workerEventLoopGroup(group)
                .addService(ServerInterceptors.intercept(
                        new ControlGrpc.ControlImplBase() {
                            @Override
                            public StreamObserver<BytesMessage> session(StreamObserver<BytesMessage> responses) {
                                SessionTunnel tunnel = SessionTunnel.dial(responses);
                                daemonTunnel.complete(tunnel);
                                return SessionTunnel.peerInput(() -> tunnel);
                            }
                        },
                        headers))
                .build()
                .start();
        clientChannel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .usePlaintext()
                .build();
        clientTunnel = SessionTunnel.open(
                ControlGrpc.newStub(clientChannel), UUID.randomUUID().toString(), "test", "shared", clientServices);
    }

    ManagedChannel daemonChannel() throws Exception {
        return daemonTunnel.get(10, TimeUnit.SECONDS).channel();
    }

    @Override
    public void close() throws Exception {
        clientTunnel.close();
        if (daemonTunnel.isDone()) {
            daemonTunnel.get().close();
        }
        clientChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        control.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
}
