package dev.kiln.daemon;

import dev.kiln.api.DaemonEndpoint;
import dev.kiln.api.DirectAccess;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineOptions;
import dev.kiln.engine.StateLock;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running daemon: one engine on one state directory, served on BuildKit's Control API at each address, until
 * {@link #close()} (SIGTERM, {@code kiln daemon stop}) or the idle timeout. While it runs, its address and pid are in
 * the state's {@link DaemonEndpoint} record, where clients look for it.
 */
final class KilnDaemon implements AutoCloseable {

    /** Builds carry definitions and exports of any size: BuildKit's clients allow far more than gRPC's 4 MiB. */
    private static final int MAX_MESSAGE = 128 * 1024 * 1024;

    private final DaemonConfig config;
    private final Engine engine;
    private final GarbageCollection gc;
    private final HeapTarget heap = HeapTarget.start(HeapTarget.DEFAULT_MIN_GROWTH);
    private final BuildJobs jobs;
    private final ControlService control;
    private final LlbBridgeService bridge;
    private final List<Server> servers = new ArrayList<>();
    private final EventLoopGroup boss = new EpollEventLoopGroup(1);
    private final EventLoopGroup workers = new EpollEventLoopGroup(2);
    private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
    private final DaemonEndpoint endpoint;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicLong lastGrantSweep =
            new java.util.concurrent.atomic.AtomicLong(System.nanoTime());

    private KilnDaemon(DaemonConfig config, Engine engine, PrintStream log) {
        this.config = config;
        this.engine = engine;
        this.gc = new GarbageCollection(engine, config.gc().interval(), log);
        this.jobs = new BuildJobs(() -> {
            gc.soon();
            forgetStaleGrants();
        });
        DaemonInfo info = DaemonInfo.of(config.stateDir(), config.runtime(), engine.platforms());
        ForwardedBuilds gateways = new ForwardedBuilds();
        BuildHistoryService history =
                new BuildHistoryService(BuildHistory.open(config.stateDir(), log), java.time.Clock.systemUTC());
        this.control = new ControlService(engine, info, jobs, gateways, history, config.insecureEntitlements());
        this.bridge = new LlbBridgeService(gateways, info);
        // A daemon a client started records the build it runs, so that a client built since replaces it; one a user
        // started is theirs to replace.
        this.endpoint = new DaemonEndpoint(
                config.stateDir(),
                config.addresses().getFirst(),
                ProcessHandle.current().pid(),
                "1".equals(System.getenv(DaemonEndpoint.AUTOSTARTED)) ? DaemonEndpoint.codeStamp() : "");
    }

    /**
     * Opens the engine on the state and listens. Another daemon on the same state is an error that names it; an
     * embedded engine that holds the state is waited for.
     */
    static KilnDaemon start(DaemonConfig config, PrintStream log) throws IOException, InterruptedException {
        NettySettings.applyDefaults();
        Engine engine = openEngine(config, log);
        KilnDaemon daemon = new KilnDaemon(config, engine, log);
        try {
            DirectAccess.reset(config.stateDir());
            // clients' directory copies moved into the engine's state, where du and prune see them
            dev.kiln.core.Trees.deleteRecursively(
                    config.stateDir().resolve("daemon").resolve("locals"));
            daemon.listen();
            daemon.endpoint.record();
            daemon.gc.soon();
        } catch (IOException | RuntimeException e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    /**
     * A client killed between its grant and its Solve leaves the grant: it goes at a build's end a minute later, looked
     * for at most once a minute so that a cached build's end does not pay a directory listing.
     */
    private void forgetStaleGrants() {
        long now = System.nanoTime();
        long last = lastGrantSweep.get();
        if (now - last < java.util.concurrent.TimeUnit.MINUTES.toNanos(1) || !lastGrantSweep.compareAndSet(last, now)) {
            return;
        }
        try {
            DirectAccess.forgetStale(config.stateDir(), java.time.Duration.ofMinutes(1));
        } catch (IOException e) {
            // tried again at the next build's end; a stale grant holds only a few paths
        }
    }

    private static Engine openEngine(DaemonConfig config, PrintStream log) throws IOException, InterruptedException {
        // percentages in GC policies are of the disk that holds the state, as buildkitd's are of its root's
        Files.createDirectories(config.stateDir());
        long disk = Files.getFileStore(config.stateDir()).getTotalSpace();
        EngineOptions options = new EngineOptions(config.stateDir(), config.runtime())
                .withInsecureRegistries(config.insecureRegistries())
                .withStateTimeout(Duration.ofSeconds(1))
                .withGc(config.gc().on())
                .withBackgroundSaves(true)
                .withGcPolicies(config.gc().policies(disk));
        long deadline = System.nanoTime() + EngineOptions.DEFAULT_STATE_TIMEOUT.toNanos();
        boolean told = false;
        while (true) {
            var running = DaemonEndpoint.running(config.stateDir());
            if (running.isPresent()
                    && running.get().pid() != ProcessHandle.current().pid()) {
                throw new IOException("a kiln daemon already serves " + config.stateDir() + " (pid "
                        + running.get().pid() + ", " + running.get().address() + ")");
            }
            try {
                return Engine.open(options);
            } catch (StateLock.StateBusyException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                if (!told) {
                    log.println("kiln daemon: " + e.getMessage() + "; waiting");
                    told = true;
                }
            }
        }
    }

    private void listen() throws IOException {
        for (String address : config.addresses()) {
            dev.kiln.api.NettyLogs.quietKeepAliveWarnings();
            NettyServerBuilder builder;
            if (address.startsWith("unix://")) {
                Path socket = Path.of(address.substring("unix://".length()));
                Files.createDirectories(socket.toAbsolutePath().getParent());
                Files.deleteIfExists(socket);
                builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                        .channelType(EpollServerDomainSocketChannel.class);
            } else if (address.startsWith("tcp://")) {
                URI uri = URI.create(address);
                if (config.tls().isEmpty()) {
                    throw new IllegalArgumentException(address + ": a tcp address needs mutual TLS: give --tlscacert, "
                            + "--tlscert and --tlskey");
                }
                DaemonConfig.TlsFiles tls = config.tls().get();
                builder = NettyServerBuilder.forAddress(new InetSocketAddress(uri.getHost(), uri.getPort()))
                        .channelType(EpollServerSocketChannel.class)
                        .sslContext(GrpcSslContexts.forServer(
                                        tls.cert().toFile(), tls.key().toFile())
                                .trustManager(tls.ca().toFile())
                                .clientAuth(ClientAuth.REQUIRE)
                                .build());
            } else {
                throw new IllegalArgumentException(address + ": an address is unix:///PATH or tcp://HOST:PORT");
            }
            Server server = builder.bossEventLoopGroup(boss)
                    .workerEventLoopGroup(workers)
                    .executor(calls)
                    .maxInboundMessageSize(MAX_MESSAGE)
                    .permitKeepAliveWithoutCalls(true)
                    .permitKeepAliveTime(1, TimeUnit.SECONDS)
                    .addService(ServerInterceptors.intercept(control, ControlService.headers()))
                    // buildctl and buildx call the gateway on the same connection as Control (forwarded builds)
                    .addService(ServerInterceptors.intercept(bridge, ControlService.headers()))
                    .build()
                    .start();
            servers.add(server);
            if (address.startsWith("unix://")) {
                restrict(Path.of(address.substring("unix://".length())));
            }
        }
    }

    /** The socket is its owner's, and its group's when one is given: building is root's power over this host. */
    private void restrict(Path socket) throws IOException {
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        if (config.group().isPresent()) {
            String name = config.group().get();
            GroupPrincipal group =
                    socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(name);
            Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(group);
        }
    }

    DaemonEndpoint endpoint() {
        return endpoint;
    }

    /** Blocks until the daemon stops: closed, or idle for the configured time. */
    void awaitStop() throws InterruptedException {
        Duration idle = config.idleTimeout();
        while (!stopped.await(
                idle.isZero() ? 60_000 : Math.min(10_000, Math.max(100, idle.toMillis() / 4)), TimeUnit.MILLISECONDS)) {
            if (!idle.isZero()
                    && jobs.running() == 0
                    && control.sessionCount() == 0
                    && System.nanoTime() - jobs.lastActivity() > idle.toNanos()) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            gc.close();
            heap.close();
            endpoint.forget();
            for (Server server : servers) {
                server.shutdownNow();
            }
            for (Server server : servers) {
                server.awaitTermination(10, TimeUnit.SECONDS);
            }
            calls.shutdownNow();
            calls.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            for (String address : config.addresses()) {
                DaemonEndpoint.socketPath(address).ifPresent(socket -> {
                    try {
                        Files.deleteIfExists(socket);
                    } catch (IOException ignored) {
                        // a stale socket is replaced by the next daemon
                    }
                });
            }
            engine.close();
            stopped.countDown();
        }
    }
}
