package dev.kiln.api.http2;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A gRPC channel to a server on a unix socket, or on a pair of streams (a frontend's stdin and stdout, on which
 * BuildKit serves the gateway with prior knowledge of HTTP/2), speaking HTTP/2 with plain JDK blocking I/O: no
 * Netty and no grpc-core, so a short-lived client JVM pays a few classes and one reader thread instead of Netty's
 * pipeline. Generated stubs, interceptors, deadlines and io.grpc.Context cancellation work on it as on grpc-java's
 * own channels.
 *
 * <p>The connection to a socket is made on the first call and again after it fails or the server sends GOAWAY; a
 * call that cannot connect fails with UNAVAILABLE and the next one tries again. Streams carry one connection only:
 * once it ends, every later call fails with UNAVAILABLE. There is no retry, load balancing, compression, keepalive
 * or idle timeout: a build client makes a few calls to one local daemon.
 */
public final class Http2Channel extends ManagedChannel {

    private static final String AUTHORITY = "localhost";

    private final String target;
    private final Connector connector;
    private final int maxInboundMessageSize;
    private final Object lock = new Object();
    // Guarded by lock.
    private Http2Connection current;
    private final List<Http2Connection> connections = new ArrayList<>();
    private final Set<Http2Stream> calls = new HashSet<>();
    private boolean shutdown;
    /** Set once, by the thread that then closes the connections; {@link #terminated} follows when they are closed. */
    private boolean terminating;

    private boolean terminated;

    /** Makes the bytes of a new connection. */
    @FunctionalInterface
    private interface Connector {
        Http2Transport connect() throws IOException;
    }

    private Http2Channel(String target, Connector connector, int maxInboundMessageSize) {
        if (maxInboundMessageSize <= 0) {
            throw new IllegalArgumentException("maxInboundMessageSize must be positive: " + maxInboundMessageSize);
        }
        this.target = target;
        this.connector = connector;
        this.maxInboundMessageSize = maxInboundMessageSize;
    }

    /** A channel to the gRPC server listening on {@code socket}; it connects on the first call. */
    public static Http2Channel unix(Path socket, int maxInboundMessageSize) {
        return new Http2Channel(socket.toString(), () -> Http2Transport.unix(socket), maxInboundMessageSize);
    }

    /**
     * A channel whose one connection runs on {@code in} and {@code out}, a server being at their other end (as
     * BuildKit is at a frontend's stdin and stdout). {@code name} names the peer in error messages.
     */
    public static Http2Channel streams(String name, InputStream in, OutputStream out, int maxInboundMessageSize) {
        AtomicBoolean used = new AtomicBoolean();
        return new Http2Channel(
                name,
                () -> {
                    if (used.getAndSet(true)) {
                        throw new IOException("the connection on " + name + " has ended and cannot be made again");
                    }
                    return new Http2Transport.Streams(in, out);
                },
                maxInboundMessageSize);
    }

    private Http2Connection connect() throws IOException {
        Http2Transport transport = connector.connect();
        return Http2Connection.open(this, target, transport);
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        return new Http2Call<>(this, method, options, maxInboundMessageSize);
    }

    /** The largest response message a call on this channel takes. */
    int maxInboundMessageSize() {
        return maxInboundMessageSize;
    }

    @Override
    public String authority() {
        return AUTHORITY;
    }

    /** Counts a starting call as in flight; false once the channel is shut down. */
    boolean register(Http2Stream call) {
        synchronized (lock) {
            if (shutdown) {
                return false;
            }
            calls.add(call);
            return true;
        }
    }

    void unregister(Http2Stream call) {
        List<Http2Connection> close;
        synchronized (lock) {
            if (!calls.remove(call)) {
                return;
            }
            close = terminateIfDone();
        }
        closeAll(close);
    }

    /** Opens the call's stream on the current connection, connecting first if there is none that takes streams. */
    Http2Connection openStream(Http2Stream call, byte[] headerBlock) throws StatusException {
        for (int attempt = 0; ; attempt++) {
            Http2Connection c;
            synchronized (lock) {
                if (shutdown) {
                    throw Status.UNAVAILABLE
                            .withDescription("channel shut down")
                            .asException();
                }
                if (current == null || !current.acceptsStreams()) {
                    try {
                        current = connect();
                    } catch (IOException e) {
                        throw Status.UNAVAILABLE
                                .withDescription("cannot connect to " + target + ": " + e)
                                .withCause(e)
                                .asException();
                    }
                    connections.add(current);
                }
                c = current;
            }
            if (c.newStream(call, headerBlock)) {
                return c;
            }
            if (attempt == 2) {
                throw Status.UNAVAILABLE
                        .withDescription("no connection to " + target + " takes new calls")
                        .asException();
            }
        }
    }

    /**
     * Connects now rather than on the first call, so that a client can overlap the connection with other work; a
     * failure is left for the first call to report.
     */
    public void connectNow() {
        synchronized (lock) {
            if (shutdown || (current != null && current.acceptsStreams())) {
                return;
            }
            try {
                current = connect();
                connections.add(current);
            } catch (IOException e) {
                // the first call connects again and says why it cannot
            }
        }
    }

    /** The connection failed or is draining after GOAWAY: new calls go to a new one. */
    void connectionClosed(Http2Connection c) {
        synchronized (lock) {
            if (current == c) {
                current = null;
            }
            connections.remove(c);
        }
    }

    @Override
    public ManagedChannel shutdown() {
        List<Http2Connection> close;
        synchronized (lock) {
            shutdown = true;
            close = terminateIfDone();
        }
        closeAll(close);
        return this;
    }

    @Override
    public ManagedChannel shutdownNow() {
        shutdown();
        List<Http2Stream> inFlight;
        synchronized (lock) {
            inFlight = new ArrayList<>(calls);
        }
        for (Http2Stream call : inFlight) {
            call.shutdownNow();
        }
        return this;
    }

    @Override
    public boolean isShutdown() {
        synchronized (lock) {
            return shutdown;
        }
    }

    @Override
    public boolean isTerminated() {
        synchronized (lock) {
            return terminated;
        }
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long end = System.nanoTime() + unit.toNanos(timeout);
        synchronized (lock) {
            while (!terminated) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    /**
     * Under lock: once shut down with no call left, the connections to close, which {@link #closeAll} then closes;
     * null while calls remain or when another thread already took them.
     */
    private List<Http2Connection> terminateIfDone() {
        if (!shutdown || !calls.isEmpty() || terminating) {
            return null;
        }
        terminating = true;
        List<Http2Connection> close = new ArrayList<>(connections);
        connections.clear();
        current = null;
        return close;
    }

    /**
     * Closes what {@link #terminateIfDone} handed over, and only then counts the channel as terminated: a caller of
     * {@link #awaitTermination} may exit the process next, and a reader thread still blocked in a socket read would
     * hold the JVM's exit up (see dev.kiln.cli.ProcessExit).
     */
    private void closeAll(List<Http2Connection> close) {
        if (close == null) {
            return;
        }
        for (Http2Connection c : close) {
            c.close();
        }
        synchronized (lock) {
            terminated = true;
            lock.notifyAll();
        }
    }

    @Override
    public String toString() {
        return "Http2Channel[" + target + "]";
    }

    /** Deadlines' timer: one daemon thread, made on the first call with a deadline. */
    static ScheduledExecutorService timer() {
        return Timer.INSTANCE;
    }

    private static final class Timer {
        static final ScheduledThreadPoolExecutor INSTANCE = new ScheduledThreadPoolExecutor(
                1, r -> Thread.ofPlatform().daemon().name("kiln-http2-deadline").unstarted(r));

        static {
            INSTANCE.setRemoveOnCancelPolicy(true);
        }
    }
}
