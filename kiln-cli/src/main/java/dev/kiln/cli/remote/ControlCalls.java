package dev.kiln.cli.remote;

import dev.kiln.api.RawMarshaller;
import dev.kiln.api.http2.Http2Channel;
import dev.kiln.api.http2.RawCall;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BuildKit's Control.Solve and Control.Status as {@code kiln build} makes them: the request's fields and the
 * status stream's, with the field numbers of BuildKit's control.proto (kiln-api's copy), written and read by
 * {@link ProtoWriter} and {@link ProtoReader} instead of the generated classes. A build's client uses only these two
 * calls on its fast path, and protobuf-java's start-up cost more than the daemon's whole answer to a cached build;
 * everything else (du, prune, the session's services) keeps the generated classes. ControlCallsTest holds both
 * sides against the generated classes.
 */
public final class ControlCalls {

    private ControlCalls() {}

    /** An output of the build: its type and attributes. */
    public record Exporter(String type, Map<String, String> attrs) {
        public Exporter {
            attrs = Map.copyOf(attrs);
        }
    }

    /** A cache export or import: its type and attributes (BuildKit's CacheOptionsEntry). */
    public record CacheEntry(String type, Map<String, String> attrs) {
        public CacheEntry {
            attrs = Map.copyOf(attrs);
        }
    }

    /**
     * The fields of a SolveRequest a build client sets.
     *
     * @param definition a marshalled LLB definition, or empty when a frontend builds
     */
    public record SolveRequest(
            String ref,
            byte[] definition,
            String session,
            String frontend,
            Map<String, String> frontendAttrs,
            List<String> entitlements,
            List<Exporter> exporters,
            List<CacheEntry> cacheExports,
            List<CacheEntry> cacheImports) {

        public SolveRequest {
            frontendAttrs = new LinkedHashMap<>(frontendAttrs);
            entitlements = List.copyOf(entitlements);
            exporters = List.copyOf(exporters);
            cacheExports = List.copyOf(cacheExports);
            cacheImports = List.copyOf(cacheImports);
        }

        byte[] encode() {
            ProtoWriter cache = new ProtoWriter();
            cacheExports.forEach(entry -> cache.message(4, entry(entry.type(), entry.attrs())));
            cacheImports.forEach(entry -> cache.message(5, entry(entry.type(), entry.attrs())));
            ProtoWriter request = new ProtoWriter().string(1, ref).bytes(2, definition);
            if (!exporters.isEmpty()) {
                // daemons before BuildKit 0.13 read only the first exporter, from these fields
                request.string(3, exporters.getFirst().type())
                        .map(4, exporters.getFirst().attrs());
            }
            request.string(5, session).string(6, frontend).map(7, frontendAttrs).message(8, cache);
            entitlements.forEach(entitlement -> request.string(9, entitlement));
            exporters.forEach(exporter -> request.message(13, entry(exporter.type(), exporter.attrs())));
            return request.toByteArray();
        }

        private static ProtoWriter entry(String type, Map<String, String> attrs) {
            return new ProtoWriter().string(1, type).map(2, attrs);
        }
    }

    /** A step as the status stream reports it; a time is null when the daemon did not send it. */
    public record Vertex(
            String digest, String name, boolean cached, Instant started, Instant completed, String error) {}

    /** Output of a step: stream 1 is stdout, 2 stderr. */
    public record VertexLog(String vertex, Instant timestamp, int stream, byte[] data) {}

    /** A warning of a step (a Dockerfile lint, a deprecated form), its short message. */
    public record VertexWarning(String vertex, String message) {}

    /** One StatusResponse: what changed since the last. */
    public record StatusUpdate(List<Vertex> vertexes, List<VertexLog> logs, List<VertexWarning> warnings) {

        static StatusUpdate decode(byte[] message) {
            List<Vertex> vertexes = new ArrayList<>();
            List<VertexLog> logs = new ArrayList<>();
            List<VertexWarning> warnings = new ArrayList<>();
            ProtoReader status = new ProtoReader(message);
            while (status.next()) {
                switch (status.field()) {
                    case 1 -> vertexes.add(vertex(status.message()));
                    case 3 -> logs.add(log(status.message()));
                    case 4 -> warnings.add(warning(status.message()));
                    default -> status.skip(); // 2: progress of transfers, which the displays do not draw
                }
            }
            return new StatusUpdate(vertexes, logs, warnings);
        }

        private static Vertex vertex(ProtoReader vertex) {
            String digest = "";
            String name = "";
            String error = "";
            boolean cached = false;
            Instant started = null;
            Instant completed = null;
            while (vertex.next()) {
                switch (vertex.field()) {
                    case 1 -> digest = vertex.string();
                    case 3 -> name = vertex.string();
                    case 4 -> cached = vertex.bool();
                    case 5 -> started = timestamp(vertex.message());
                    case 6 -> completed = timestamp(vertex.message());
                    case 7 -> error = vertex.string();
                    default -> vertex.skip();
                }
            }
            return new Vertex(digest, name, cached, started, completed, error);
        }

        private static VertexLog log(ProtoReader log) {
            String vertex = "";
            Instant timestamp = null;
            int stream = 0;
            byte[] data = new byte[0];
            while (log.next()) {
                switch (log.field()) {
                    case 1 -> vertex = log.string();
                    case 2 -> timestamp = timestamp(log.message());
                    case 3 -> stream = (int) log.int64();
                    case 4 -> data = log.bytes();
                    default -> log.skip();
                }
            }
            return new VertexLog(vertex, timestamp, stream, data);
        }

        private static VertexWarning warning(ProtoReader warning) {
            Map.Entry<String, String> vertexAndMessage = warning.twoStrings(1, 3);
            return new VertexWarning(vertexAndMessage.getKey(), vertexAndMessage.getValue());
        }

        /** google.protobuf.Timestamp: seconds 1, nanos 2. */
        private static Instant timestamp(ProtoReader timestamp) {
            long seconds = 0;
            long nanos = 0;
            while (timestamp.next()) {
                switch (timestamp.field()) {
                    case 1 -> seconds = timestamp.int64();
                    case 2 -> nanos = timestamp.int64();
                    default -> timestamp.skip();
                }
            }
            return Instant.ofEpochSecond(seconds, nanos);
        }
    }

    /** SolveResponse's exporter response: the image's digest and the like. */
    static Map<String, String> decodeSolveResponse(byte[] message) {
        Map<String, String> response = new LinkedHashMap<>();
        ProtoReader solved = new ProtoReader(message);
        while (solved.next()) {
            if (solved.field() != 1) {
                solved.skip();
                continue;
            }
            Map.Entry<String, String> entry = solved.message().twoStrings(1, 2);
            response.put(entry.getKey(), entry.getValue());
        }
        return response;
    }

    private static final MethodDescriptor<byte[], byte[]> SOLVE =
            RawMarshaller.method(MethodDescriptor.MethodType.UNARY, "moby.buildkit.v1.Control", "Solve");

    private static final MethodDescriptor<byte[], byte[]> STATUS =
            RawMarshaller.method(MethodDescriptor.MethodType.SERVER_STREAMING, "moby.buildkit.v1.Control", "Status");

    /** A call in flight. */
    @FunctionalInterface
    public interface Call {
        /** Resets the call's stream; its observer hears CANCELLED with {@code why}, unless it has ended. */
        void cancel(String why);
    }

    /** Sends the Solve; {@code response} hears the exporter response, or the build's failure. */
    public static Call solve(Channel channel, SolveRequest request, StreamObserver<Map<String, String>> response) {
        return call(channel, SOLVE, request.encode(), new Decoding<>(response, ControlCalls::decodeSolveResponse));
    }

    /** Follows the build {@code ref}'s progress until it ends. */
    public static Call status(Channel channel, String ref, StreamObserver<StatusUpdate> updates) {
        return call(
                channel,
                STATUS,
                new ProtoWriter().string(1, ref).toByteArray(),
                new Decoding<>(updates, StatusUpdate::decode));
    }

    /**
     * The call on {@code channel}: on kiln's own channel a {@link RawCall}, which brings up neither io.grpc.Context
     * nor Metadata (their loggers cost a fresh client a scan of its class path before the first call); on any other,
     * grpc-java's.
     */
    private static Call call(
            Channel channel, MethodDescriptor<byte[], byte[]> method, byte[] request, StreamObserver<byte[]> observer) {
        boolean unary = method.getType() == MethodDescriptor.MethodType.UNARY;
        if (channel instanceof Http2Channel http2) {
            return RawCall.start(http2, method.getFullMethodName(), request, new Answer(observer, unary))::cancel;
        }
        ClientCall<byte[], byte[]> call = channel.newCall(method, CallOptions.DEFAULT);
        if (unary) {
            ClientCalls.asyncUnaryCall(call, request, observer);
        } else {
            ClientCalls.asyncServerStreamingCall(call, request, observer);
        }
        return why -> call.cancel(why, null);
    }

    /** A raw call's answer as grpc-java's stubs give one: a unary call must answer exactly one message. */
    private static final class Answer implements RawCall.Listener {

        private final StreamObserver<byte[]> observer;
        private final boolean unary;
        private int messages;

        Answer(StreamObserver<byte[]> observer, boolean unary) {
            this.observer = observer;
            this.unary = unary;
        }

        @Override
        public void onMessage(byte[] message) {
            if (!unary || messages == 0) {
                observer.onNext(message);
            }
            messages++;
        }

        @Override
        public void onClose(io.grpc.Status status, java.util.function.Supplier<io.grpc.Metadata> trailers) {
            if (!status.isOk()) {
                observer.onError(status.asRuntimeException(trailers.get()));
            } else if (unary && messages != 1) {
                observer.onError(io.grpc.Status.INTERNAL
                        .withDescription(
                                messages == 0
                                        ? "no value received for a unary call"
                                        : "more than one value received for a unary call")
                        .asRuntimeException());
            } else {
                observer.onCompleted();
            }
        }
    }

    /** Hands decoded messages on; one that cannot be decoded ends the call as its error. */
    private static final class Decoding<T> implements StreamObserver<byte[]> {

        private final StreamObserver<T> next;
        private final java.util.function.Function<byte[], T> decode;
        private boolean failed;

        Decoding(StreamObserver<T> next, java.util.function.Function<byte[], T> decode) {
            this.next = next;
            this.decode = decode;
        }

        @Override
        public void onNext(byte[] message) {
            if (failed) {
                return;
            }
            T decoded;
            try {
                decoded = decode.apply(message);
            } catch (IllegalArgumentException e) {
                failed = true;
                next.onError(io.grpc.Status.INTERNAL
                        .withDescription("the daemon's answer: " + e.getMessage())
                        .asRuntimeException());
                return;
            }
            next.onNext(decoded);
        }

        @Override
        public void onError(Throwable t) {
            if (!failed) {
                next.onError(t);
            }
        }

        @Override
        public void onCompleted() {
            if (!failed) {
                next.onCompleted();
            }
        }
    }
}
