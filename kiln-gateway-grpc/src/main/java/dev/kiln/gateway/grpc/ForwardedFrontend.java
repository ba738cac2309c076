package dev.kiln.gateway.grpc;

import dev.kiln.api.BackgroundSolve;
import dev.kiln.api.DaemonEndpoint;
import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.Exporter;
import dev.kiln.api.control.ListWorkersRequest;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.http2.Http2Channel;
import dev.kiln.api.session.FileSyncService;
import dev.kiln.api.session.SessionTunnel;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.WorkerInfo;
import dev.kiln.llb.pb.Definition;
import io.grpc.BindableService;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a {@link BuildFunction} in this process against a daemon that forwards the gateway, as {@code buildctl build}
 * and docker buildx run their frontends (Go's client.Build): a Control.Solve with neither frontend nor definition,
 * carrying the frontend attributes and exporters, and LLBBridge calls on the same connection that name the build in
 * the {@code buildkit-controlapi-buildid} header. Kiln's daemon and BuildKit's buildkitd both serve this. The
 * client's session (started when there is something to serve) offers the local directories to the build and
 * whatever else the caller adds, such as the receivers of exported files.
 */
public final class ForwardedFrontend {

    /** BuildKit's header naming the build of a gateway call (client/buildid). */
    public static final Metadata.Key<String> BUILD_ID =
            Metadata.Key.of("buildkit-controlapi-buildid", Metadata.ASCII_STRING_MARSHALLER);

    /** {@code channel} for the LLBBridge calls of the forwarded build {@code ref}: each names it in BUILD_ID. */
    public static Channel bridge(Channel channel, String ref) {
        Metadata headers = new Metadata();
        headers.put(BUILD_ID, ref);
        return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** Messages as large as BuildKit's clients take them: a definition or status batch of a big build. */
    private static final int MAX_MESSAGE = 64 << 20;

    /** How long the Solve has to fail by itself after the frontend failed, before it is cancelled (as in Go). */
    private static final long SOLVE_GRACE_SECONDS = 5;

    /**
     * What a forwarded build is made of besides its function.
     *
     * @param ref              the build's ref; empty for a new one
     * @param frontendAttrs    the frontend's options, as {@code buildctl --opt} gives them
     * @param frontendInputs   states the frontend gets from {@link dev.kiln.gateway.Client#inputs()}, by name
     * @param locals           local directories the build may read, by name (for example {@code context})
     * @param exporters        what the daemon does with the result; none to keep it in the cache only
     * @param sessionServices  more services for the session, such as a FileSendService receiving an export
     * @param product          the product name frontends see in their build options
     */
    public record Options(
            String ref,
            Map<String, String> frontendAttrs,
            Map<String, Definition> frontendInputs,
            Map<String, Path> locals,
            List<Exporter> exporters,
            List<BindableService> sessionServices,
            String product) {

        public Options {
            ref = ref == null ? "" : ref;
            frontendAttrs = Map.copyOf(frontendAttrs);
            frontendInputs = Map.copyOf(frontendInputs);
            locals = Map.copyOf(locals);
            exporters = List.copyOf(exporters);
            sessionServices = List.copyOf(sessionServices);
            product = product == null || product.isEmpty() ? "kiln" : product;
        }

        public static Options defaults() {
            return new Options("", Map.of(), Map.of(), Map.of(), List.of(), List.of(), "kiln");
        }

        public Options withRef(String value) {
            return new Options(value, frontendAttrs, frontendInputs, locals, exporters, sessionServices, product);
        }

        public Options withFrontendAttrs(Map<String, String> value) {
            return new Options(ref, value, frontendInputs, locals, exporters, sessionServices, product);
        }

        public Options withFrontendInputs(Map<String, Definition> value) {
            return new Options(ref, frontendAttrs, value, locals, exporters, sessionServices, product);
        }

        public Options withLocals(Map<String, Path> value) {
            return new Options(ref, frontendAttrs, frontendInputs, value, exporters, sessionServices, product);
        }

        public Options withExporters(List<Exporter> value) {
            return new Options(ref, frontendAttrs, frontendInputs, locals, value, sessionServices, product);
        }

        public Options withSessionServices(List<BindableService> value) {
            return new Options(ref, frontendAttrs, frontendInputs, locals, exporters, value, product);
        }
    }

    private ForwardedFrontend() {}

    /**
     * Builds with {@code function} on the daemon at {@code address} ({@code unix:///PATH}) and returns the daemon's
     * answer to the Solve once the result is exported.
     *
     * @throws GatewayException with the build's error when the function or the build failed
     */
    public static SolveResponse run(String address, BuildFunction function, Options options)
            throws InterruptedException {
        Path socket = DaemonEndpoint.socketPath(address)
                .orElseThrow(() -> new IllegalArgumentException(
                        "a forwarded frontend reaches its daemon on unix:///PATH, not " + address));
        Http2Channel channel = Http2Channel.unix(socket, MAX_MESSAGE);
        SessionTunnel session = null;
        try {
            List<WorkerInfo> workers = workers(channel);
            String sessionId = "";
            List<BindableService> services = new ArrayList<>();
            if (!options.locals().isEmpty()) {
                services.add(new FileSyncService(options.locals()));
            }
            services.addAll(options.sessionServices());
            if (!services.isEmpty()) {
                sessionId = UUID.randomUUID().toString();
                // the tunnel's fromPeer blocks until its bytes are written: not on the connection's reader thread
                session = SessionTunnel.open(
                        ControlGrpc.newStub(channel)
                                .withExecutor(Executors.newThreadPerTaskExecutor(
                                        Thread.ofVirtual().name("kiln-session").factory())),
                        sessionId,
                        "kiln-forwarded-frontend",
                        "",
                        services);
            }
            String ref = options.ref().isEmpty() ? newRef() : options.ref();
            SolveRequest.Builder solve = SolveRequest.newBuilder()
                    .setRef(ref)
                    .setSession(sessionId)
                    .putAllFrontendAttrs(options.frontendAttrs())
                    .addAllExporters(options.exporters());
            options.frontendInputs()
                    .forEach((name, definition) -> solve.putFrontendInputs(name, definition.toByteString()));
            Context.CancellableContext solveCall = Context.current().withCancellation();
            CompletableFuture<SolveResponse> solved =
                    BackgroundSolve.start(channel, solve.build(), solveCall, "kiln-forwarded-solve");
            try {
                return build(channel, ref, sessionId, workers, function, options, solved, solveCall);
            } finally {
                solveCall.cancel(null);
            }
        } finally {
            if (session != null) {
                session.close();
            }
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static SolveResponse build(
            Channel channel,
            String ref,
            String sessionId,
            List<WorkerInfo> workers,
            BuildFunction function,
            Options options,
            CompletableFuture<SolveResponse> solved,
            Context.CancellableContext solveCall)
            throws InterruptedException {
        Channel bridge = bridge(channel, ref);
        Optional<Throwable> failure;
        try {
            LlbBridgeClient client = LlbBridgeClient.connect(
                    bridge, new BuildFacts(options.frontendAttrs(), sessionId, options.product(), workers));
            failure = client.run(function);
        } catch (GatewayException e) {
            failure = Optional.of(e);
        } catch (InterruptedException e) {
            solveCall.cancel(e);
            throw e;
        }
        try {
            if (failure.isPresent()) {
                // the daemon fails the Solve with the error the frontend returned; if it does not, stop it
                return solved.get(SOLVE_GRACE_SECONDS, TimeUnit.SECONDS);
            }
            return solved.get();
        } catch (ExecutionException e) {
            throw solveFailure(e.getCause());
        } catch (TimeoutException e) {
            solveCall.cancel(e);
            Throwable cause = failure.get();
            throw cause instanceof GatewayException g
                    ? g
                    : new GatewayException(LlbBridgeClient.errorStatus(cause).getMessage(), cause);
        } catch (InterruptedException e) {
            solveCall.cancel(e);
            throw e;
        }
    }

    private static GatewayException solveFailure(Throwable cause) {
        if (cause instanceof StatusRuntimeException e) {
            return LlbBridgeClient.failure("solve", e.getStatus(), e);
        }
        return new GatewayException("solve: " + cause, cause);
    }

    private static List<WorkerInfo> workers(Channel channel) throws InterruptedException {
        var response = LlbBridgeClient.call(
                "list the daemon's workers",
                () -> ControlGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(LlbBridgeClient.PING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                        .listWorkers(ListWorkersRequest.getDefaultInstance()));
        return LlbBridgeClient.workers(response.getRecordList());
    }

    /** A build ref as BuildKit's identity.NewID makes them: 25 characters of base 36 would do; hex is as unique. */
    private static String newRef() {
        byte[] bytes = new byte[16];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
