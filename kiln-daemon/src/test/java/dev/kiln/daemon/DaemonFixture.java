package dev.kiln.daemon;

import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.session.FileSendService;
import dev.kiln.api.session.FileTarget;
import dev.kiln.api.session.SessionTunnel;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real daemon on a state directory of a test, in this JVM, listening on a unix socket in that directory, and a
 * gRPC client connected to it: the same wire a buildctl or kiln client uses.
 */
final class DaemonFixture implements AutoCloseable {

    final Path state;
    final Path socket;
    final KilnDaemon daemon;
    final ManagedChannel channel;
    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final EventLoopGroup group = new EpollEventLoopGroup(1);

    DaemonFixture(Path dir) throws IOException, InterruptedException {
        this(dir, Duration.ZERO);
    }

    DaemonFixture(Path dir, Duration idleTimeout) throws IOException, InterruptedException {
        this(dir, idleTimeout, config -> config);
    }

    /** A daemon whose config {@code change} makes of the fixture's (the socket and state stay the fixture's). */
    DaemonFixture(Path dir, java.util.function.UnaryOperator<DaemonConfig> change)
            throws IOException, InterruptedException {
        this(dir, Duration.ZERO, change);
    }

    private DaemonFixture(Path dir, Duration idleTimeout, java.util.function.UnaryOperator<DaemonConfig> change)
            throws IOException, InterruptedException {
        state = dir.resolve("state");
        socket = state.resolve("kiln.sock");
        DaemonConfig config = DaemonConfig.defaults(state)
                .withAddresses(List.of("unix://" + socket))
                .withIdleTimeout(idleTimeout);
        daemon = KilnDaemon.start(change.apply(config), new PrintStream(log, true));
        channel = connect(socket, group);
    }

    static ManagedChannel connect(Path socket, EventLoopGroup group) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .overrideAuthority("localhost")
                .maxInboundMessageSize(128 * 1024 * 1024)
                .usePlaintext()
                .build();
    }

    ControlGrpc.ControlBlockingStub control() {
        return ControlGrpc.newBlockingStub(channel);
    }

    ControlGrpc.ControlStub controlAsync() {
        return ControlGrpc.newStub(channel);
    }

    /**
     * A client session on this daemon whose FileSend service receives a build's exports into {@code targets} (by the
     * exporter's index), as buildctl's session receives them.
     */
    SessionTunnel exportSession(String sessionId, Map<Integer, FileTarget> targets) {
        return SessionTunnel.open(controlAsync(), sessionId, "test", "", List.of(new FileSendService(targets)));
    }

    @Override
    public void close() throws IOException {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        daemon.close();
    }
}
