package dev.kiln.cli.remote;

import dev.kiln.api.DaemonEndpoint;
import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.InfoRequest;
import dev.kiln.api.http2.Http2Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A gRPC channel to a kiln daemon (or any BuildKit daemon): the one named by {@code --addr}/KILN_HOST, else the
 * daemon of the state directory, started when none runs ({@link DaemonLauncher}).
 *
 * <p>Unix sockets go through {@link Http2Channel}, plain blocking JDK I/O: in a command that lives for a fraction
 * of a second, grpc-java's Netty transport cost more CPU than the whole cached build it carried.
 */
public record DaemonConnection(String address, ManagedChannel channel) implements AutoCloseable {

    /** How large a message may be: a definition or a status batch of a big build, as BuildKit's clients allow. */
    private static final int MAX_MESSAGE = 64 << 20;

    /** A channel to {@code address} ({@code unix:///PATH} or {@code tcp://HOST:PORT}); connects on first call. */
    public static DaemonConnection open(String address) throws IOException {
        Optional<Path> socket = DaemonEndpoint.socketPath(address);
        if (socket.isPresent()) {
            return new DaemonConnection(address, Http2Channel.unix(socket.get(), MAX_MESSAGE));
        }
        if (address.startsWith("tcp://")) {
            // A daemon on tcp takes mutual TLS only, and secrets and credentials cross this connection: the kiln
            // client has no TLS settings yet, so it does not send them in clear text either.
            throw new IOException("--addr " + address + ": kiln build reaches a daemon on tcp only through TLS, which "
                    + "it cannot do yet; use the daemon's unix socket, or buildctl with --tlscacert, --tlscert and "
                    + "--tlskey");
        }
        throw new IOException("--addr " + address + ": expected unix:///PATH or tcp://HOST:PORT");
    }

    /**
     * The daemon of {@code stateDir}: the one recorded there, else one at the state's default address, else a new
     * one started by {@code launcher}. A file lock in the state makes racing clients start one daemon between them:
     * the second waits for the first's, finds it running and uses it.
     */
    public static DaemonConnection forState(Path stateDir, DaemonLauncher launcher, Consumer<String> notice)
            throws IOException, InterruptedException {
        Optional<DaemonEndpoint> running = DaemonEndpoint.running(stateDir);
        if (running.isPresent() && isStale(running.get())) {
            notice.accept("the daemon of " + stateDir + " (pid " + running.get().pid()
                    + ") runs an older build of kiln;" + " replacing it");
            running.get().stop(Duration.ofSeconds(60));
            running = Optional.empty();
        }
        if (running.isPresent()) {
            return open(running.get().address());
        }
        String address = DaemonEndpoint.defaultAddress(stateDir);
        Files.createDirectories(stateDir);
        try (FileChannel lockFile = FileChannel.open(
                        stateDir.resolve("daemon.start.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = lockFile.lock()) {
            running = DaemonEndpoint.running(stateDir);
            if (running.isPresent()) {
                return open(running.get().address());
            }
            DaemonConnection connection = open(address);
            if (DaemonEndpoint.socketPath(address).map(Files::exists).orElse(true)
                    && connection.answers(Duration.ofSeconds(2))) {
                return connection;
            }
            connection.close();
            Process daemon = launcher.start(stateDir, address);
            notice.accept("started a daemon for " + stateDir + " (pid " + daemon.pid() + ", log "
                    + launcher.log(stateDir) + ")");
            return launcher.awaitReady(daemon, stateDir, address);
        }
    }

    /** A daemon started from jars that have been rebuilt since: it would run old code, or fail to load classes. */
    private static boolean isStale(DaemonEndpoint daemon) {
        return !daemon.code().isEmpty() && !daemon.code().equals(DaemonEndpoint.codeStamp());
    }

    /** Whether the daemon answers Info within {@code timeout}. */
    boolean answers(Duration timeout) {
        try {
            ControlGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .info(InfoRequest.getDefaultInstance());
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
                return true; // a daemon without Info still answers
            }
            channel.resetConnectBackoff();
            return false;
        }
    }

    /**
     * Connects now, on the calling thread, rather than on the first call: the client's connecting thread does it
     * while the main thread reads the command line. Opening the first unix socket is the slow part of a fresh JVM's
     * connect: the JDK seeds a SecureRandom for unix sockets, 10-14 ms here ({@link #prepareCalls} spares it the
     * lookup of NIO's provider). A failure is left for the first call to report.
     */
    public DaemonConnection connectNow() {
        if (channel instanceof Http2Channel http2) {
            http2.connectNow();
        }
        return this;
    }

    /** The JDK's own NIO provider on Linux: named, it is made without a service lookup. */
    private static final String PLATFORM_SELECTOR_PROVIDER = "sun.nio.ch.EPollSelectorProvider";

    /**
     * Readies this process for its first call: names NIO's provider, which the JDK otherwise looks up as a service
     * on the first socket, opening every jar of the class path to find none (Kiln's one jar of 12,900 entries: 10-12
     * ms of a fresh client's CPU, measured alone). The name is the class the lookup would fall back to, and is given
     * only when this JDK has it and nothing else named a provider. ({@link ControlCalls} keeps a build's calls off
     * grpc-java's Context and Metadata, whose loggers would cost the same scan.)
     */
    public static void prepareCalls() {
        String property = "java.nio.channels.spi.SelectorProvider";
        if (System.getProperty(property) != null) {
            return;
        }
        try {
            Class.forName(PLATFORM_SELECTOR_PROVIDER, false, ClassLoader.getPlatformClassLoader());
            System.setProperty(property, PLATFORM_SELECTOR_PROVIDER);
        } catch (ClassNotFoundException | LinkageError otherJdk) {
            // the JDK looks its provider up as it always does
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
