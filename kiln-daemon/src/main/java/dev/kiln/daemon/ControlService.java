package dev.kiln.daemon;

import dev.kiln.api.DirectAccess;
import dev.kiln.api.DiscardingObserver;
import dev.kiln.api.control.BuildHistoryEvent;
import dev.kiln.api.control.BuildHistoryRequest;
import dev.kiln.api.control.BytesMessage;
import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.DiskUsageRequest;
import dev.kiln.api.control.DiskUsageResponse;
import dev.kiln.api.control.InfoRequest;
import dev.kiln.api.control.InfoResponse;
import dev.kiln.api.control.ListWorkersRequest;
import dev.kiln.api.control.ListWorkersResponse;
import dev.kiln.api.control.PruneRequest;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.control.StatusRequest;
import dev.kiln.api.control.StatusResponse;
import dev.kiln.api.control.UpdateBuildHistoryRequest;
import dev.kiln.api.control.UpdateBuildHistoryResponse;
import dev.kiln.api.control.UsageRecord;
import dev.kiln.api.session.SessionHeaders;
import dev.kiln.api.session.SessionTunnel;
import dev.kiln.engine.BuildException;
import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.Engine;
import dev.kiln.engine.FrontendSpec;
import dev.kiln.engine.export.Exporters;
import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.worker.BuildSession;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * BuildKit's Control service on Kiln's engine: what buildctl, docker buildx and {@code kiln} call. One engine serves
 * every client; builds run at the same time and share their identical steps.
 */
final class ControlService extends ControlGrpc.ControlImplBase {

    /** How long a Solve waits for the session it names to connect (clients open both at once). */
    private static final Duration SESSION_WAIT = Duration.ofSeconds(10);

    /** The call's headers, for Session, which reads the client's session headers from them. */
    static final Context.Key<Metadata> HEADERS = Context.key("kiln-headers");

    private final Engine engine;
    private final Set<dev.kiln.engine.Entitlement> allowedEntitlements;
    private final DaemonInfo info;
    private final BuildJobs jobs;
    private final ClientSessions sessions = new ClientSessions();
    private final DiskUsageService diskUsage;
    private final ForwardedBuilds gateways;
    private final BuildHistoryService history;

    ControlService(
            Engine engine,
            DaemonInfo info,
            BuildJobs jobs,
            ForwardedBuilds gateways,
            BuildHistoryService history,
            Set<dev.kiln.engine.Entitlement> allowedEntitlements) {
        this.engine = engine;
        this.info = info;
        this.jobs = jobs;
        this.gateways = gateways;
        this.history = history;
        this.allowedEntitlements = Set.copyOf(allowedEntitlements);
        this.diskUsage = new DiskUsageService(engine);
    }

    /** Puts each call's headers into its context. */
    static ServerInterceptor headers() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                return Contexts.interceptCall(Context.current().withValue(HEADERS, headers), call, headers, next);
            }
        };
    }

    int sessionCount() {
        return sessions.size();
    }

    @Override
    public StreamObserver<BytesMessage> session(StreamObserver<BytesMessage> toClient) {
        jobs.touch();
        Metadata headers = HEADERS.get();
        String id = headers == null ? null : headers.get(SessionHeaders.UUID);
        if (id == null || id.isEmpty()) {
            toClient.onError(Status.INVALID_ARGUMENT
                    .withDescription("a session needs the header " + SessionHeaders.UUID.originalName())
                    .asRuntimeException());
            return new DiscardingObserver<>();
        }
        Set<String> methods = new HashSet<>();
        Iterable<String> exposed = headers.getAll(SessionHeaders.GRPC_METHOD);
        if (exposed != null) {
            exposed.forEach(methods::add);
        }
        SessionTunnel tunnel = SessionTunnel.dial(toClient);
        ClientSession session = new ClientSession(
                id,
                Optional.ofNullable(headers.get(SessionHeaders.NAME)).orElse(""),
                Optional.ofNullable(headers.get(SessionHeaders.SHARED_KEY)).orElse(""),
                methods,
                tunnel);
        sessions.add(session);
        return new StreamObserver<>() {
            @Override
            public void onNext(BytesMessage message) {
                tunnel.fromPeer(message.getData());
            }

            @Override
            public void onError(Throwable t) {
                end();
            }

            @Override
            public void onCompleted() {
                end(); // the tunnel's close completes the stream to the client
            }

            private void end() {
                sessions.remove(session);
                tunnel.peerClosed();
                tunnel.close();
                RemoteSessionClient.forgetCopies(session, engine.sessionCopies());
                jobs.touch();
            }
        };
    }

    @Override
    public void solve(SolveRequest request, StreamObserver<SolveResponse> client) {
        String ref = request.getRef().isEmpty() ? UUID.randomUUID().toString() : request.getRef();
        // the build's job takes this feed too: its record counts the steps the build's progress shows
        StatusFeed progress = jobs.feed(ref);
        BuildHistoryService.Recording response = history.start(ref, request, client, progress::steps);
        try {
            build(ref, request, response);
        } catch (RuntimeException e) {
            // what build does not answer itself, gRPC answers as UNKNOWN: the record says so too
            response.failed(Status.UNKNOWN.withDescription(e.toString()));
            throw e;
        } finally {
            response.end(); // when build answered nothing itself
        }
    }

    private void build(String ref, SolveRequest request, StreamObserver<SolveResponse> response) {
        Thread builder = Thread.currentThread();
        // A client that goes away (Ctrl-C, killed) cancels its call: the build stops, its containers go.
        Context.current().addListener(context -> builder.interrupt(), Runnable::run);
        ForwardedBuild forwarded = null;
        Optional<RemoteSessionClient> client = Optional.empty();
        try (BuildJobs.Running job = jobs.start(ref)) {
            AtomicReference<ClientSession> connected = new AtomicReference<>();
            if (SolveTranslation.forwardsToGateway(request)) {
                // known before the session connects: the client's first LLBBridge call comes at once
                forwarded =
                        new ForwardedBuild(ref, () -> connected.get() != null && !sessions.connected(connected.get()));
                gateways.add(forwarded);
            }
            // a forwarded build's client may hand over its files by path too (kiln build --on-error shell does):
            // a client that goes away then cancels its Solve call, which stops the build
            Optional<DirectAccess> direct = request.getSession().isEmpty()
                    ? Optional.empty()
                    : DirectAccess.take(info.stateDir(), request.getSession());
            Optional<ClientSession> session = request.getSession().isEmpty() || direct.isPresent()
                    ? Optional.empty()
                    : sessions.await(request.getSession(), SESSION_WAIT);
            if (!request.getSession().isEmpty() && session.isEmpty() && direct.isEmpty()) {
                response.onError(Status.FAILED_PRECONDITION
                        .withDescription("no active session for " + request.getSession()
                                + ": the client's session did not connect")
                        .asRuntimeException());
                return;
            }
            session.ifPresent(connected::set);
            SolveTranslation translation = SolveTranslation.of(
                    request,
                    forwarded == null ? null : new FrontendSpec.Function("gateway", forwarded.function()),
                    allowedEntitlements,
                    direct.isPresent());
            try (SessionExports exports = SessionExports.of(
                    translation.exporters(),
                    session,
                    direct,
                    info.stateDir().resolve("daemon").resolve("exports"),
                    translation.sourceDateEpoch())) {
                BuildRequest build = translation.buildRequest(exports.targets());
                client = session.map(s -> new RemoteSessionClient(
                        s,
                        engine.sessionCopies(),
                        info.stateDir().resolve("daemon").resolve("ssh")));
                BuildSession buildSession = new BuildSession(
                        direct.map(DirectAccess::session)
                                .or(() -> session.map(ClientSession::id))
                                .orElse(ref),
                        client.<dev.kiln.worker.SessionClient>map(c -> c).orElseGet(() -> sessionless(direct)));
                BuildOutcome outcome;
                try {
                    outcome = engine.build(build, buildSession, job.feed());
                } catch (BuildException e) {
                    exports.abort();
                    if (build.frontendOpts().containsKey(EXPLAIN_ATTR)) {
                        explain(e.cacheMisses(), job.feed());
                    }
                    throw e;
                } catch (InterruptedException | RuntimeException e) {
                    exports.abort();
                    throw e;
                }
                if (build.frontendOpts().containsKey(EXPLAIN_ATTR)) {
                    explain(outcome.cacheMisses(), job.feed());
                }
                warn(outcome.warnings(), job.feed());
                try {
                    exports.complete();
                } catch (IOException | InterruptedException | RuntimeException e) {
                    exports.abort();
                    throw e;
                }
                SolveResponse.Builder answer = SolveResponse.newBuilder();
                for (Map.Entry<String, byte[]> fact :
                        outcome.result().metadata().entrySet()) {
                    if (isExporterResponse(fact.getKey())) {
                        answer.putExporterResponse(fact.getKey(), new String(fact.getValue(), StandardCharsets.UTF_8));
                    }
                }
                response.onNext(answer.build());
                response.onCompleted();
            }
        } catch (BuildException e) {
            response.onError(FailureDetails.status(e));
        } catch (IllegalArgumentException e) {
            response.onError(
                    Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (SecurityException e) {
            // a refused direct-access grant: its client retries through a session
            Status status = e.getMessage() != null && e.getMessage().startsWith(DirectAccess.REFUSED)
                    ? Status.FAILED_PRECONDITION
                    : Status.PERMISSION_DENIED;
            response.onError(status.withDescription(e.getMessage()).asRuntimeException());
        } catch (UnsupportedOperationException e) {
            response.onError(
                    Status.UNIMPLEMENTED.withDescription(e.getMessage()).asRuntimeException());
        } catch (InterruptedException e) {
            response.onError(Status.CANCELLED.withDescription("build cancelled").asRuntimeException());
        } catch (IOException e) {
            response.onError(Status.UNKNOWN.withDescription(e.getMessage()).asRuntimeException());
        } finally {
            client.ifPresent(ControlService::closeQuietly);
            if (forwarded != null) {
                forwarded.end("build " + ref + " has ended");
                gateways.remove(forwarded);
            }
            // the call's end cancels its context too, which would interrupt whatever this thread does next
            Thread.interrupted();
        }
    }

    /** The frontend attribute by which Kiln's client asks for cache-miss explanations ({@code --explain-cache}). */
    static final String EXPLAIN_ATTR = "kiln:explain-cache";
    /** Kiln's log stream for a step's cache-miss explanation; Kiln's client reads it (its StatusEvents says how). */
    static final int EXPLAIN_STREAM = 101;

    /**
     * Sends why each step that ran missed the cache as a log of that step on {@link #EXPLAIN_STREAM}: lines
     * {@code reason=}, {@code message=}, {@code detail.KEY=}, with backslashes and newlines escaped.
     */
    private static void explain(List<dev.kiln.engine.CacheMiss> misses, StatusFeed feed) {
        for (dev.kiln.engine.CacheMiss miss : misses) {
            var text = new StringBuilder();
            text.append("reason=").append(escape(miss.reason())).append('\n');
            text.append("message=").append(escape(miss.message())).append('\n');
            miss.details()
                    .forEach((key, value) -> text.append("detail.")
                            .append(key)
                            .append('=')
                            .append(escape(value))
                            .append('\n'));
            feed.onEvent(new dev.kiln.solver.ProgressEvent.VertexLog(
                    miss.vertexDigest(),
                    miss.vertexName(),
                    java.time.Instant.now(),
                    EXPLAIN_STREAM,
                    text.toString().getBytes(StandardCharsets.UTF_8)));
        }
    }

    /**
     * The build's own warnings (a frontend's Warn, such as the Dockerfile's lint rules, and the engine's, such as a
     * cache import it could not use) as Status warnings, which a step's warnings already are: clients list them at
     * the end, as buildctl does.
     */
    private static void warn(List<dev.kiln.engine.Warning> warnings, StatusFeed feed) {
        for (dev.kiln.engine.Warning warning : warnings) {
            feed.onEvent(new dev.kiln.solver.ProgressEvent.VertexWarning(
                    warning.vertexDigest(), "", java.time.Instant.now(), warning.message()));
        }
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /**
     * The client of a build without a session. A direct-access client is the daemon's own user on its host: the
     * daemon's docker config is its own, so the build uses it as an embedded build would. Any other client is
     * anonymous to registries, as in BuildKit, where credentials only ever come from the client's session.
     */
    private static dev.kiln.worker.SessionClient sessionless(Optional<DirectAccess> direct) {
        if (direct.isPresent()) {
            return dev.kiln.worker.SessionClient.local(direct.get().locals(), Map.of(), Map.of());
        }
        return dev.kiln.worker.SessionClient.local(Map.of(), Map.of(), Map.of(), NO_SESSION_CREDENTIALS);
    }

    private static final CredentialSource NO_SESSION_CREDENTIALS = CredentialSource.none(
            "a build without a session (anonymous access; a client's credentials come through its session)");

    private static void closeQuietly(RemoteSessionClient client) {
        try {
            client.close();
        } catch (IOException e) {
            // a socket directory left behind is swept with the daemon's scratch; the build's outcome stands
        }
    }

    /**
     * The export facts a client expects back (digests, names), as BuildKit's exporters answer them; the frontend's
     * own metadata (the image config it made, its base image's config) stays here, as it does in BuildKit.
     */
    private static boolean isExporterResponse(String key) {
        return EXPORTER_RESPONSE.contains(key);
    }

    private static final Set<String> EXPORTER_RESPONSE = Set.of(
            Exporters.IMAGE_DIGEST,
            Exporters.CONFIG_DIGEST,
            Exporters.IMAGE_NAME,
            Exporters.IMAGE_DESCRIPTOR,
            Engine.CACHE_MANIFEST);

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
        jobs.touch();
        ServerCallStreamObserver<StatusResponse> stream = (ServerCallStreamObserver<StatusResponse>) response;
        int sent = 0;
        try {
            Optional<StatusFeed> found = jobs.awaitFeed(request.getRef(), BuildJobs.AWAIT_SOLVE);
            if (found.isEmpty()) {
                response.onError(Status.NOT_FOUND
                        .withDescription("no such job " + request.getRef())
                        .asRuntimeException());
                return;
            }
            StatusFeed feed = found.get();
            while (!stream.isCancelled()) {
                List<StatusResponse> batch = feed.next(sent, 1000);
                if (batch == null) {
                    continue;
                }
                if (batch.isEmpty()) {
                    break;
                }
                sent += batch.size();
                response.onNext(StatusFeed.merge(batch));
            }
            if (!stream.isCancelled()) {
                response.onCompleted();
            }
        } catch (InterruptedException e) {
            response.onError(Status.CANCELLED.asRuntimeException());
        }
    }

    @Override
    public void listenBuildHistory(BuildHistoryRequest request, StreamObserver<BuildHistoryEvent> response) {
        jobs.touch();
        history.listen(request, response);
    }

    @Override
    public void updateBuildHistory(
            UpdateBuildHistoryRequest request, StreamObserver<UpdateBuildHistoryResponse> response) {
        jobs.touch();
        history.update(request, response);
    }

    @Override
    public void listWorkers(ListWorkersRequest request, StreamObserver<ListWorkersResponse> response) {
        jobs.touch();
        response.onNext(
                ListWorkersResponse.newBuilder().addRecord(info.workerRecord()).build());
        response.onCompleted();
    }

    @Override
    public void info(InfoRequest request, StreamObserver<InfoResponse> response) {
        jobs.touch();
        response.onNext(InfoResponse.newBuilder()
                .setBuildkitVersion(info.buildkitVersion())
                .build());
        response.onCompleted();
    }

    @Override
    public void diskUsage(DiskUsageRequest request, StreamObserver<DiskUsageResponse> response) {
        jobs.touch();
        diskUsage.diskUsage(request, response);
    }

    @Override
    public void prune(PruneRequest request, StreamObserver<UsageRecord> response) {
        jobs.touch();
        diskUsage.prune(request, response);
    }
}
