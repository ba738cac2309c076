package dev.kiln.api;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * gRPC services served on one connection whose bytes the caller carries, as BuildKit serves LLBBridge on a frontend
 * container's stdin and stdout: what the server sends is read from {@link #fromServer()} (the frontend's stdin), what
 * the peer sends is written to {@link #toServer()} (the frontend's stdout). The peer speaks HTTP/2 with prior
 * knowledge, as gRPC clients on a pipe do.
 *
 * <p>How: grpc-java's HTTP/2 server listens on a unix socket in a fresh 0700 directory, this end connects to it once,
 * and the socket and its directory are deleted at once, so nothing else can connect and nothing is left on disk.
 * Calls run on virtual threads, so a service may block. Closing ends the connection (calls in flight fail) and the
 * server.
 */
public final class StreamServer implements AutoCloseable {

    /** BuildKit's gateway allows 16 MiB messages (containerd's defaults). */
    private static final int MAX_MESSAGE = 16 << 20;

    private static final SharedEventLoop LOOP = new SharedEventLoop(1, "kiln-bridge");

    /**
     * grpc-java logs a connection that ends in a protocol error (a peer that wrote garbage) with its stack trace at
     * INFO; the caller reports the broken connection to its user instead. Held here so its level stays set.
     */
    private static final java.util.logging.Logger TRANSPORT =
            java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport");

    static {
        NettyLogs.quietKeepAliveWarnings();
        TRANSPORT.setLevel(java.util.logging.Level.WARNING);
    }

    private final Server server;
    private final SocketChannel connection;
    private final ExecutorService calls;
    private final InputStream fromServer;
    private final OutputStream toServer;

    private StreamServer(Server server, SocketChannel connection, ExecutorService calls) {
        this.server = server;
        this.connection = connection;
        this.calls = calls;
        this.fromServer = new ChannelInput();
        this.toServer = new ChannelOutput();
    }

    /**
     * Serves {@code services}, each behind {@code interceptors}, on a new connection.
     *
     * @throws IOException when the private socket cannot be made
     */
    public static StreamServer serve(List<BindableService> services, List<ServerInterceptor> interceptors)
            throws IOException {
        Path dir = Files.createTempDirectory(
                "kiln-bridge-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path socket = dir.resolve("s");
        ExecutorService calls = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("kiln-bridge-call").factory());
        Server server = null;
        try {
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(LOOP.get())
                    .workerEventLoopGroup(LOOP.get())
                    .executor(calls)
                    .maxInboundMessageSize(MAX_MESSAGE)
                    .permitKeepAliveWithoutCalls(true)
                    .permitKeepAliveTime(1, TimeUnit.SECONDS);
            for (BindableService service : services) {
                builder.addService(ServerInterceptors.intercept(service, interceptors));
            }
            server = builder.build().start();
            SocketChannel connection = SocketChannel.open(StandardProtocolFamily.UNIX);
            connection.connect(UnixDomainSocketAddress.of(socket));
            return new StreamServer(server, connection, calls);
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.shutdownNow();
            }
            calls.shutdownNow();
            throw e;
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }

    /** The server's bytes for the peer: the frontend's standard input. */
    public InputStream fromServer() {
        return fromServer;
    }

    /** The peer's bytes for the server: the frontend's standard output goes here. */
    public OutputStream toServer() {
        return toServer;
    }

    /** Ends the connection and the server; calls still running are cancelled. */
    @Override
    public void close() {
        try {
            connection.close();
        } catch (IOException ignored) {
            // closing only releases it
        }
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        calls.shutdownNow();
    }

    /**
     * Reads of the socket. Not Channels.newInputStream: its reads and the writes of Channels.newOutputStream share a
     * lock, and a read waiting for the server would stop the peer's bytes from reaching it.
     */
    private final class ChannelInput extends InputStream {

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            try {
                int n;
                do {
                    n = connection.read(ByteBuffer.wrap(buffer, offset, length));
                } while (n == 0);
                return n;
            } catch (java.nio.channels.ClosedChannelException e) {
                return -1;
            }
        }

        @Override
        public void close() throws IOException {
            connection.shutdownInput();
        }
    }

    /** Writes to the socket; closing it tells the server the peer sends no more. */
    private final class ChannelOutput extends OutputStream {

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] data, int offset, int length) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(data, offset, length);
            while (buffer.hasRemaining()) {
                connection.write(buffer);
            }
        }

        @Override
        public void close() throws IOException {
            if (connection.isOpen()) {
                connection.shutdownOutput();
            }
        }
    }
}
