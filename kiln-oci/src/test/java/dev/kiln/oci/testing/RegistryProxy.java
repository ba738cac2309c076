package dev.kiln.oci.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kiln.core.Digest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy on 127.0.0.1 in front of a registry that can misbehave on purpose: corrupt one byte of a blob
 * (a registry that lies), break off a blob download part way or drop connections (a flaky network), answer with
 * errors, send blobs slowly, or stop sending in the middle of a blob's body and hold the connection open (a stalled
 * registry). It records every request it forwards, so tests can see what a client asked for (e.g. its Range
 * headers). It listens and forwards on loopback only; every stall ends when the proxy closes, or after
 * {@link #MAX_STALL} at the latest.
 */
public final class RegistryProxy implements AutoCloseable {
    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection",
            "content-length",
            "transfer-encoding",
            "host",
            "keep-alive",
            "upgrade",
            "expect",
            "te",
            "trailer",
            "date");
    /** The longest a stalled answer holds its connection before dropping it. */
    public static final Duration MAX_STALL = Duration.ofSeconds(60);

    private final String target;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    private final Set<Digest> corrupted = ConcurrentHashMap.newKeySet();
    private final Map<Digest, Long> truncations = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
    private volatile int failureStatus;
    private volatile boolean redirectBlobs;
    private final Map<Digest, Long> stallsOnce = new ConcurrentHashMap<>();
    private final Map<Digest, Long> stallsAlways = new ConcurrentHashMap<>();
    private final AtomicInteger drops = new AtomicInteger();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile int slowChunk;
    private volatile Duration slowPause = Duration.ZERO;

    private RegistryProxy(String target, HttpServer server) {
        this.target = target;
        this.server = server;
    }

    /** A proxy forwarding to the registry at {@code target} ("127.0.0.1:PORT"). */
    public static RegistryProxy start(String target) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        RegistryProxy proxy = new RegistryProxy(target, server);
        server.createContext("/", proxy::forward);
        server.setExecutor(proxy.threads);
        server.start();
        return proxy;
    }

    /** "127.0.0.1:PORT" of the proxy: the registry part of references that go through it. */
    public String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** From now on, every download of blob {@code digest} has one byte changed. */
    public RegistryProxy corrupt(Digest digest) {
        corrupted.add(digest);
        return this;
    }

    /** The next download of blob {@code digest} announces its full length but breaks off after {@code bytes}. */
    public RegistryProxy truncateOnce(Digest digest, long bytes) {
        truncations.put(digest, bytes);
        return this;
    }

    /**
     * The next download of blob {@code digest} sends {@code bytes} of its body, then nothing more: the connection
     * stays open, as with a registry that hangs, until the proxy closes (or {@link #MAX_STALL} passes).
     */
    public RegistryProxy stallOnce(Digest digest, long bytes) {
        stallsOnce.put(digest, bytes);
        return this;
    }

    /** As {@link #stallOnce}, for every download of blob {@code digest} from now on, ranged ones included. */
    public RegistryProxy stallAlways(Digest digest, long bytes) {
        stallsAlways.put(digest, bytes);
        return this;
    }

    /** Blob bodies are sent {@code chunk} bytes at a time with {@code pause} between: a slow but steady registry. */
    public RegistryProxy slow(int chunk, Duration pause) {
        slowChunk = chunk;
        slowPause = pause;
        return this;
    }

    /** The next {@code count} requests get no answer: their connection is closed as soon as they arrive. */
    public RegistryProxy dropNext(int count) {
        drops.set(count);
        return this;
    }

    /** The next {@code count} requests are answered with {@code status} (e.g. 503) instead of being forwarded. */
    public RegistryProxy failNext(int count, int status) {
        failureStatus = status;
        failures.set(count);
        return this;
    }

    /**
     * Blob downloads are answered with a redirect straight to the registry, as registries backed by object storage
     * do; the client must follow it (and must not send its registry credentials to the other host).
     */
    public RegistryProxy redirectBlobs() {
        redirectBlobs = true;
        return this;
    }

    /** "METHOD path" of each request, with " Range: ..." and " Authorization: SCHEME" when it had them. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** The {@link #requests()} that name this blob: its downloads, each attempt and resume its own. */
    public List<String> requestsFor(Digest digest) {
        return requests().stream().filter(r -> r.contains(digest.hex())).toList();
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        threads.close();
        http.close();
    }

    private void forward(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            URI uri = exchange.getRequestURI();
            String range = exchange.getRequestHeaders().getFirst("Range");
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            requests.add(method + " " + uri.getRawPath() + (range == null ? "" : " Range: " + range)
                    + (authorization == null
                            ? ""
                            : " Authorization: " + authorization.split(" ")[0]));
            byte[] requestBody = exchange.getRequestBody().readAllBytes();
            if (drops.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
                // A handler that fails before answering makes the server close the connection.
                throw new IOException("connection dropped on purpose");
            }
            if (failures.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
                exchange.sendResponseHeaders(failureStatus, -1);
                return;
            }
            if (redirectBlobs && blobOf(method, uri.getRawPath()) != null) {
                exchange.getResponseHeaders().set("Location", "http://" + target + uri.getRawPath());
                exchange.sendResponseHeaders(307, -1);
                return;
            }
            HttpRequest.Builder out = HttpRequest.newBuilder(URI.create("http://" + target + uri.getRawPath()
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())));
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(value -> out.header(name, value));
                }
            });
            out.method(
                    method,
                    requestBody.length == 0 && !method.equals("PUT") && !method.equals("PATCH")
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(requestBody));
            HttpResponse<byte[]> answer;
            try {
                answer = http.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted forwarding to the registry", e);
            }
            answer.headers().map().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    for (String value : values) {
                        exchange.getResponseHeaders()
                                .add(
                                        name,
                                        name.equalsIgnoreCase("Location")
                                                ? value.replace("//" + target, "//" + host())
                                                : value);
                    }
                }
            });
            byte[] body = answer.body();
            Digest blob = blobOf(method, uri.getRawPath());
            int status = answer.statusCode();
            if (blob != null && (status == 200 || status == 206) && body.length > 0) {
                if (corrupted.contains(blob)) {
                    body = body.clone();
                    body[body.length / 2] ^= 0x20;
                }
                Long cut = truncations.remove(blob);
                if (cut != null) {
                    exchange.sendResponseHeaders(status, body.length);
                    OutputStream stream = exchange.getResponseBody();
                    stream.write(body, 0, (int) Math.min(cut, body.length));
                    stream.flush();
                    // Failing the exchange with bytes still owed drops the connection, as a broken network would.
                    throw new IOException("download of " + blob + " cut after " + cut + " bytes on purpose");
                }
                Long stall = stallsOnce.remove(blob);
                if (stall == null) {
                    stall = stallsAlways.get(blob);
                }
                if (stall != null) {
                    exchange.sendResponseHeaders(status, body.length);
                    OutputStream stream = exchange.getResponseBody();
                    stream.write(body, 0, (int) Math.min(stall, body.length));
                    stream.flush();
                    awaitClosing(MAX_STALL);
                    throw new IOException("download of " + blob + " stalled after " + stall + " bytes on purpose");
                }
                if (slowChunk > 0) {
                    exchange.sendResponseHeaders(status, body.length);
                    try (OutputStream stream = exchange.getResponseBody()) {
                        for (int at = 0; at < body.length; at += slowChunk) {
                            stream.write(body, at, Math.min(slowChunk, body.length - at));
                            stream.flush();
                            if (awaitClosing(slowPause)) {
                                throw new IOException("proxy closing");
                            }
                        }
                    }
                    return;
                }
            }
            if (method.equals("HEAD") || body.length == 0) {
                answer.headers()
                        .firstValue("Content-Length")
                        .ifPresent(length -> exchange.getResponseHeaders().set("Content-Length", length));
                exchange.sendResponseHeaders(status, -1);
            } else {
                exchange.sendResponseHeaders(status, body.length);
                try (OutputStream stream = exchange.getResponseBody()) {
                    stream.write(body);
                }
            }
        }
    }

    /** Waits up to {@code time} or until the proxy closes; true when it closes. */
    private boolean awaitClosing(Duration time) throws IOException {
        try {
            return closing.await(time.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static Digest blobOf(String method, String path) {
        int at = path.indexOf("/blobs/sha256:");
        if (!method.equals("GET") || at < 0) {
            return null;
        }
        try {
            return Digest.parse(path.substring(at + "/blobs/".length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
