package dev.kiln.api.session;

import com.google.protobuf.ByteString;
import dev.kiln.api.SharedEventLoop;
import dev.kiln.api.control.BytesMessage;
import dev.kiln.api.control.ControlGrpc;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.CallStreamObserver;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * gRPC carried inside a Control.Session byte stream (BuildKit's grpchijack): the stream's bytes are one
 * plaintext HTTP/2 connection on which the client runs a gRPC server and the daemon is the gRPC client.
 *
 * <p>The daemon {@link #dial}s: calls on {@link #channel()} travel through the stream to the client's
 * services. The client {@link #serve}s: calls arriving through the stream reach its services (plus
 * grpc.health.v1.Health/Check, which BuildKit's daemon polls to keep a session alive). Both feed the bytes
 * that arrive on the Session stream to {@link #fromPeer} and report its end with {@link #peerClosed}.
 *
 * <p>How: grpc-java's own HTTP/2 transport talks to a private unix socket (in a fresh 0700 directory that is
 * deleted as soon as the one connection is made), and a virtual thread pumps the bytes between that socket
 * and the Session stream. Flow control holds both ways: {@link #fromPeer} blocks until the bytes are written
 * to the socket, and the pump waits while the Session stream is not ready for more. Closing either side
 * closes the socket, so calls in flight fail instead of hanging.
 */
public final class SessionTunnel implements AutoCloseable {

    /** BuildKit allows 16 MiB messages on the session connection (containerd's defaults). */
    static final int MAX_MESSAGE = 16 << 20;

    private static final int PUMP_CHUNK = 32 * 1024;
    private static final byte[] HEALTH_SERVING = {0x08, 0x01};

    private static final SharedEventLoop LOOP = new SharedEventLoop(2, "kiln-session");

    static {
        dev.kiln.api.NettyLogs.quietKeepAliveWarnings();
    }

    private final StreamObserver<BytesMessage> toPeer;
    private final Path socketDir;
    private final Path socket;
    private final CountDownLatch connected = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ReentrantLock readyLock = new ReentrantLock();
    private final Condition readyChanged = readyLock.newCondition();
    private final Object peerLock = new Object();
    private final Object writeLock = new Object();
    private volatile boolean readyHandler;
    private volatile SocketChannel conn;
    private ServerSocketChannel listener;
    private ManagedChannel channel;
    private Server server;
    private Thread pump;

    private SessionTunnel(StreamObserver<BytesMessage> toPeer) throws IOException {
        this.toPeer = toPeer;
        this.socketDir = Files.createTempDirectory(
                "kiln-session-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        this.socket = socketDir.resolve("s");
    }

    /**
     * Daemon role: a channel whose calls travel through the Session stream ({@code toPeer} sends its bytes).
     * Called from the Session handler (before it returns), the tunnel also installs {@code toPeer}'s onReady and
     * onCancel handlers, so it waits for the stream precisely and a cancelled Session closes it.
     */
    public static SessionTunnel dial(StreamObserver<BytesMessage> toPeer) {
        try {
            SessionTunnel t = new SessionTunnel(toPeer);
            t.installHandlers();
            t.listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            t.listener.bind(UnixDomainSocketAddress.of(t.socket));
            t.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(t.socket.toString()))
                    .channelType(EpollDomainSocketChannel.class)
                    .eventLoopGroup(LOOP.get())
                    .usePlaintext()
                    .maxInboundMessageSize(MAX_MESSAGE)
                    // The one connection cannot be made again: never let the channel drop it for idleness.
                    .idleTimeout(30, TimeUnit.DAYS)
                    .build();
            t.pump = Thread.ofVirtual().name("session-tunnel-dial").start(t::acceptAndPump);
            t.channel.getState(true);
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the session tunnel: " + e.getMessage(), e);
        }
    }

    /** Client role: the services answer calls that arrive through the Session stream. */
    public static SessionTunnel serve(StreamObserver<BytesMessage> toPeer, List<BindableService> services) {
        SessionTunnel t = serveUnstarted(toPeer, services);
        t.startPump();
        return t;
    }

    private void startPump() {
        pump = Thread.ofVirtual().name("session-tunnel-serve").start(this::pumpToPeer);
    }

    private static SessionTunnel serveUnstarted(StreamObserver<BytesMessage> toPeer, List<BindableService> services) {
        SessionTunnel t = null;
        try {
            t = new SessionTunnel(toPeer);
            t.installHandlers();
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(t.socket.toString()))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(LOOP.get())
                    .workerEventLoopGroup(LOOP.get())
                    .maxInboundMessageSize(MAX_MESSAGE)
                    .addService(health());
            for (BindableService s : services) {
                builder.addService(s);
            }
            t.server = builder.build().start();
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            c.connect(UnixDomainSocketAddress.of(t.socket));
            t.conn = c;
            t.removeSocketFile();
            t.connected.countDown();
            return t;
        } catch (IOException e) {
            if (t != null) {
                t.close();
            }
            throw new UncheckedIOException("cannot set up the session tunnel: " + e.getMessage(), e);
        }
    }

    /**
     * Client role in one call: opens Control.Session on {@code control} with the session headers (the
     * services' methods listed), serves {@code services} through it and wires the stream's callbacks, flow
     * control included. Close the tunnel to end the session.
     */
    public static SessionTunnel open(
            ControlGrpc.ControlStub control,
            String uuid,
            String name,
            String sharedKey,
            List<BindableService> services) {
        var headers = SessionHeaders.of(uuid, name, sharedKey, methodUrls(services));
        AtomicReference<SessionTunnel> tunnel = new AtomicReference<>();
        // the stream's input, and its start, at which the tunnel is made with the call's flow control
        final class Opening extends PeerInput implements ClientResponseObserver<BytesMessage, BytesMessage> {
            Opening() {
                super(tunnel::get);
            }

            @Override
            public void beforeStart(ClientCallStreamObserver<BytesMessage> requests) {
                // The pump starts once the call has: nothing may be sent on it before.
                SessionTunnel t = serveUnstarted(requests, services);
                requests.setOnReadyHandler(t::onReady);
                t.readyHandler = true;
                tunnel.set(t);
            }
        }
        control.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .session(new Opening());
        tunnel.get().startPump();
        return tunnel.get();
    }

    /**
     * What the Session stream brings from the peer, for a tunnel that is made after the stream (it needs the stream
     * to send on): its messages go to {@link #fromPeer}, its end to {@link #peerClosed}.
     */
    public static StreamObserver<BytesMessage> peerInput(Supplier<SessionTunnel> tunnel) {
        return new PeerInput(tunnel);
    }

    private static class PeerInput implements StreamObserver<BytesMessage> {
        private final Supplier<SessionTunnel> tunnel;

        PeerInput(Supplier<SessionTunnel> tunnel) {
            this.tunnel = tunnel;
        }

        @Override
        public void onNext(BytesMessage value) {
            tunnel.get().fromPeer(value.getData());
        }

        @Override
        public void onError(Throwable t) {
            tunnel.get().peerClosed();
        }

        @Override
        public void onCompleted() {
            tunnel.get().peerClosed();
        }
    }

    /**
     * The methods a client serves, as the X-Docker-Expose-Session-Grpc-Method values of the Session call: the
     * services' methods and the health check that {@link #serve} adds.
     */
    public static List<String> methodUrls(List<BindableService> services) {
        List<String> urls = new ArrayList<>();
        List<ServerServiceDefinition> all = new ArrayList<>();
        all.add(health());
        for (BindableService s : services) {
            all.add(s.bindService());
        }
        for (ServerServiceDefinition def : all) {
            for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
                MethodDescriptor<?, ?> d = m.getMethodDescriptor();
                urls.add(SessionHeaders.methodUrl(d.getServiceName(), d.getBareMethodName()));
            }
        }
        return urls;
    }

    /** Daemon role: the channel to the client's services. */
    public ManagedChannel channel() {
        if (channel == null) {
            throw new IllegalStateException("a serving tunnel has no channel; the daemon's side dials");
        }
        return channel;
    }

    /**
     * Bytes that arrived on the Session stream. Blocks until they are handed to the local HTTP/2 end, which
     * pushes back on the peer when called from the stream's message callback. Ignored once closed.
     */
    public void fromPeer(ByteString data) {
        if (closed.get()) {
            return;
        }
        try {
            connected.await();
            SocketChannel c = conn;
            if (c == null || closed.get()) {
                return;
            }
            ByteBuffer buf = data.asReadOnlyByteBuffer();
            synchronized (writeLock) {
                while (buf.hasRemaining()) {
                    c.write(buf);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
        } catch (IOException e) {
            close();
        }
    }

    /** The Session stream is ready for more; call from its onReady handler if {@link #dial} could not set one. */
    public void onReady() {
        readyLock.lock();
        try {
            readyChanged.signalAll();
        } finally {
            readyLock.unlock();
        }
    }

    /** The Session stream ended (completed, failed or cancelled): the tunnel closes. */
    public void peerClosed() {
        close();
    }

    /** Ends the tunnel: calls in flight fail, the Session stream is completed, local resources are released. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        connected.countDown();
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.shutdownNow();
        }
        closeQuietly(conn);
        closeQuietly(listener);
        removeSocketFile();
        synchronized (peerLock) {
            try {
                toPeer.onCompleted();
            } catch (RuntimeException alreadyEnded) {
                // The stream was already cancelled or completed by the peer.
            }
        }
        onReady();
        Thread p = pump;
        if (p != null && p != Thread.currentThread()) {
            FsSender.joinUninterruptibly(p);
        }
        try {
            if (channel != null) {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            }
            if (server != null) {
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void installHandlers() {
        if (toPeer instanceof ServerCallStreamObserver<BytesMessage> s) {
            try {
                s.setOnReadyHandler(this::onReady);
                s.setOnCancelHandler(this::peerClosed);
                readyHandler = true;
            } catch (IllegalStateException tooLate) {
                // Called after the handler returned: the pump polls readiness instead.
            }
        }
    }

    private void acceptAndPump() {
        try {
            SocketChannel c = listener.accept();
            conn = c;
            closeQuietly(listener);
            removeSocketFile();
            connected.countDown();
            if (closed.get()) {
                closeQuietly(c);
                return;
            }
        } catch (IOException e) {
            close();
            return;
        }
        pumpToPeer();
    }

    /** Socket to Session stream, one message per read, waiting while the stream is not ready. */
    private void pumpToPeer() {
        ByteBuffer buf = ByteBuffer.allocate(PUMP_CHUNK);
        try {
            while (!closed.get()) {
                buf.clear();
                int n = conn.read(buf);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    continue;
                }
                buf.flip();
                awaitReady();
                synchronized (peerLock) {
                    if (closed.get()) {
                        break;
                    }
                    toPeer.onNext(BytesMessage.newBuilder()
                            .setData(ByteString.copyFrom(buf))
                            .build());
                }
            }
        } catch (IOException | RuntimeException | InterruptedException e) {
            // The socket or the stream ended; either way the tunnel is over.
        }
        close();
    }

    private void awaitReady() throws InterruptedException {
        if (!(toPeer instanceof CallStreamObserver<BytesMessage> c)) {
            return;
        }
        readyLock.lock();
        try {
            while (!c.isReady() && !closed.get()) {
                if (readyHandler) {
                    readyChanged.await();
                } else {
                    // No onReady handler could be installed: look again shortly rather than buffer without bound.
                    readyChanged.await(10, TimeUnit.MILLISECONDS);
                }
            }
        } finally {
            readyLock.unlock();
        }
    }

    private void removeSocketFile() {
        try {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(socketDir);
        } catch (IOException ignored) {
            // A leftover empty directory in the temp dir is harmless.
        }
    }

    private static void closeQuietly(java.nio.channels.Channel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // Closing only releases it.
            }
        }
    }

    /** grpc.health.v1.Health/Check answering SERVING, by hand: its two tiny messages need no generated code. */
    private static ServerServiceDefinition health() {
        MethodDescriptor<byte[], byte[]> check =
                dev.kiln.api.RawMarshaller.method(MethodDescriptor.MethodType.UNARY, "grpc.health.v1.Health", "Check");
        return ServerServiceDefinition.builder(ServiceDescriptor.newBuilder("grpc.health.v1.Health")
                        .addMethod(check)
                        .build())
                .addMethod(check, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(HEALTH_SERVING);
                    response.onCompleted();
                }))
                .build();
    }
}
