package dev.kiln.gateway.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.kiln.api.ResultRefs;
import dev.kiln.api.SolveErrorDetails;
import dev.kiln.api.errdefs.Source;
import dev.kiln.api.gateway.CacheOptionsEntry;
import dev.kiln.api.gateway.InputsRequest;
import dev.kiln.api.gateway.LLBBridgeGrpc;
import dev.kiln.api.gateway.PongResponse;
import dev.kiln.api.gateway.Ref;
import dev.kiln.api.gateway.ResolveImageConfigRequest;
import dev.kiln.api.gateway.ResolveImageConfigResponse;
import dev.kiln.api.gateway.ResolveSourceMetaRequest;
import dev.kiln.api.gateway.ResolveSourceMetaResponse;
import dev.kiln.api.gateway.ReturnRequest;
import dev.kiln.api.gateway.SolveResponse;
import dev.kiln.api.gateway.WarnRequest;
import dev.kiln.api.types.WorkerRecord;
import dev.kiln.core.Digest;
import dev.kiln.core.SourceFrame;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.BuildOpts;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Container;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.NewContainerRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.ResolvedImageConfig;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.gateway.StatRequest;
import dev.kiln.gateway.WarnOpts;
import dev.kiln.gateway.WorkerInfo;
import dev.kiln.llb.SourceLines;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.Definition;
import dev.kiln.llb.pb.OpMetadata;
import dev.kiln.llb.pb.Platform;
import dev.kiln.llb.pb.SourceOp;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The gateway {@link Client} of a frontend that talks to its engine over gRPC, on BuildKit's LLBBridge service: on a
 * frontend container's stdin and stdout ({@link StdioFrontend}) or on a daemon's socket for a build whose frontend
 * runs in the client ({@link ForwardedFrontend}). It does what Go's grpcclient does: Ping first (the engine's
 * capabilities decide what may be asked and how), solves whose references stay on the engine and are named by id,
 * reads and containers through those ids, and at the end one Return carrying the result or the error.
 *
 * <p>The engine's references live as long as the build: a frontend never releases one.
 */
public final class LlbBridgeClient implements Client {

    /** How long Ping may take, as Go's client allows. */
    static final Duration PING_TIMEOUT = Duration.ofSeconds(15);

    private final Channel channel;
    private final LLBBridgeGrpc.LLBBridgeBlockingStub bridge;
    private final BuildFacts facts;
    private final Capabilities caps;
    private final Capabilities llbCaps;
    private final List<WorkerInfo> workers;
    private final Object execLock = new Object();
    // Guarded by execLock: the one ExecProcess stream of this client, opened with the first container.
    private ExecStream exec;

    private LlbBridgeClient(Channel channel, BuildFacts facts, PongResponse pong) {
        this.channel = channel;
        this.bridge = LLBBridgeGrpc.newBlockingStub(channel);
        this.facts = facts;
        this.caps = Capabilities.of("gateway", pong.getFrontendAPICapsList(), Capabilities.DEFAULT_GATEWAY);
        this.llbCaps = Capabilities.of("LLB", pong.getLLBCapsList(), Capabilities.DEFAULT_LLB);
        this.workers = facts.workers().isEmpty() ? workers(pong.getWorkersList()) : facts.workers();
    }

    /**
     * Pings the engine at the other end of {@code channel} (which carries whatever headers the engine needs, such as
     * a forwarded build's id) and returns a client for one build.
     *
     * @throws GatewayException when the engine does not answer within {@link #PING_TIMEOUT}
     */
    public static LlbBridgeClient connect(Channel channel, BuildFacts facts) throws InterruptedException {
        return connect(channel, PingCall.send(channel), facts);
    }

    /**
     * Sends Ping on {@code channel} now; {@link #connect(Channel, Pinged, BuildFacts)} takes its answer. A frontend
     * sends it first thing, so that its engine hears from it before it has loaded what its build needs.
     */
    public static Pinged ping(Channel channel) {
        return new Pinged(PingCall.send(channel));
    }

    /** A Ping sent on a channel, whose Pong {@link #connect(Channel, Pinged, BuildFacts)} waits for. */
    public static final class Pinged {
        private final PingCall call;

        private Pinged(PingCall call) {
            this.call = call;
        }
    }

    /**
     * A client for one build on {@code channel}, once the engine answered {@code ping} (sent on that channel).
     *
     * @throws GatewayException when the engine does not answer within {@link #PING_TIMEOUT}
     */
    public static LlbBridgeClient connect(Channel channel, Pinged ping, BuildFacts facts) throws InterruptedException {
        return connect(channel, ping.call, facts);
    }

    private static LlbBridgeClient connect(Channel channel, PingCall ping, BuildFacts facts)
            throws InterruptedException {
        PongResponse pong = call("ping the engine", () -> {
            try {
                return ping.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Status.CANCELLED.withCause(e).asRuntimeException();
            }
        });
        return new LlbBridgeClient(channel, facts, pong);
    }

    /** Workers as the engine lists them (in its Pong, or the daemon's ListWorkers). */
    static List<WorkerInfo> workers(List<WorkerRecord> records) {
        List<WorkerInfo> out = new ArrayList<>();
        for (WorkerRecord record : records) {
            List<Platform> platforms = new ArrayList<>();
            for (ByteString bytes : record.getPlatformsList()) {
                try {
                    platforms.add(Platform.parseFrom(bytes));
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new GatewayException("the engine listed a worker with an unreadable platform: " + e);
                }
            }
            out.add(new WorkerInfo(record.getID(), record.getLabelsMap(), platforms));
        }
        return out;
    }

    /**
     * Runs {@code function} on this client and hands its result, or its failure, to the engine with Return.
     *
     * @return the function's failure, which the engine now has as the build's error; empty when the function's
     *     result was returned
     * @throws GatewayException when the engine did not take the Return
     */
    public Optional<Throwable> run(BuildFunction function) throws InterruptedException {
        Result result = null;
        Throwable failure = null;
        try {
            result = function.build(this);
        } catch (Exception | Error e) {
            failure = e;
        } finally {
            closeExec();
        }
        ReturnRequest request = null;
        if (failure == null) {
            try {
                request = ReturnRequest.newBuilder()
                        .setResult(toProto(result == null ? Result.empty() : result))
                        .build();
            } catch (GatewayException e) {
                failure = e;
            }
        }
        if (failure != null) {
            request = ReturnRequest.newBuilder().setError(errorStatus(failure)).build();
        }
        // a cancelled frontend still tells the engine why it ends
        boolean interrupted = Thread.interrupted();
        try {
            ReturnRequest returned = request;
            call("return the result", () -> bridge.return_(returned));
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return Optional.ofNullable(failure);
    }

    /**
     * The error a Return carries: the message a user sees as the build's failure, and beside it what a client draws
     * without parsing the message, as Go's frontends return it: the details of a status behind the failure (the
     * engine's, for a step of this frontend's solve that failed), else the lines of the frontend's input the failure
     * names (a Dockerfile that does not parse), as errdefs.Source.
     */
    static com.google.rpc.Status errorStatus(Throwable failure) {
        Status.Code code = switch (failure) {
            case InterruptedException e -> Status.Code.CANCELLED;
            case StatusRuntimeException e -> e.getStatus().getCode();
            default -> Status.Code.UNKNOWN;
        };
        Status status = Status.fromCode(code).withDescription(message(failure));
        com.google.rpc.Status carried = StatusProto.fromThrowable(failure);
        if (carried != null && carried.getDetailsCount() > 0) {
            return carried.toBuilder()
                    .setCode(code.value())
                    .setMessage(status.getDescription())
                    .build();
        }
        List<Message> details = SourceFrame.Located.in(failure)
                .<Message>map(LlbBridgeClient::errdefsSource)
                .map(List::of)
                .orElse(List.of());
        return StatusProto.fromThrowable(SolveErrorDetails.withDetails(status, details));
    }

    /** {@code lines} as BuildKit's frontend names them: the file, and one range a line. */
    private static Source errdefsSource(SourceFrame.Lines lines) {
        return Source.newBuilder()
                .setInfo(SourceLines.info(lines))
                .addAllRanges(SourceLines.eachLine(lines.first(), lines.last()))
                .build();
    }

    private static String message(Throwable failure) {
        String message = failure.getMessage();
        if (failure instanceof GatewayException && message != null && !message.isEmpty()) {
            return message;
        }
        if (failure instanceof InterruptedException) {
            return "the frontend was cancelled";
        }
        return failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private dev.kiln.api.gateway.Result toProto(Result result) {
        if (result.refs().size() > 1) {
            caps.require("returnmap");
        }
        boolean arrays = caps.supports("proto.refarray");
        dev.kiln.api.gateway.Result.Builder out = dev.kiln.api.gateway.Result.newBuilder();
        result.metadata().forEach((key, value) -> out.putMetadata(key, ByteString.copyFrom(value)));
        if (!result.refs().isEmpty()) {
            Map<String, Ref> refs = new TreeMap<>();
            result.refs().forEach((name, reference) -> refs.put(name, ref(reference)));
            ResultRefs.putRefs(out, refs, arrays);
        } else {
            ResultRefs.putRef(out, result.ref().map(this::ref).orElse(Ref.getDefaultInstance()), arrays);
        }
        return out.build();
    }

    /** A reference on the wire: only references this client's solves made exist on the engine. */
    private Ref ref(Reference reference) {
        if (!(reference instanceof BridgeReference bridged) || bridged.client() != this) {
            throw new GatewayException("a result can only hold references that this build's solves returned, not "
                    + reference.getClass().getName());
        }
        Ref.Builder ref = Ref.newBuilder().setId(bridged.id());
        if (bridged.definition() != null) {
            ref.setDef(bridged.definition());
        }
        return ref.build();
    }

    String resultId(Reference reference) {
        return ref(reference).getId();
    }

    @Override
    public Result solve(SolveRequest request) throws InterruptedException {
        if (request.definition() != null) {
            for (OpMetadata metadata : request.definition().getMetadataMap().values()) {
                metadata.getCapsMap().forEach((id, needed) -> {
                    if (needed) {
                        llbCaps.require(id);
                    }
                });
            }
        }
        Map<String, String> frontendOpt = new HashMap<>(request.frontendOpt());
        // the cache sources of the whole build reach nested frontends too, as Go's client adds them
        for (String key : List.of("cache-imports", "cache-from")) {
            if (!frontendOpt.containsKey(key) && facts.opts().containsKey(key)) {
                frontendOpt.put(key, facts.opts().get(key));
            }
        }
        dev.kiln.api.gateway.SolveRequest.Builder out = dev.kiln.api.gateway.SolveRequest.newBuilder()
                .setFrontend(request.frontend())
                .putAllFrontendOpt(frontendOpt)
                .putAllFrontendInputs(request.frontendInputs())
                .setAllowResultReturn(true)
                .setAllowResultArrayRef(true);
        if (request.definition() != null) {
            out.setDefinition(request.definition());
        }
        for (var entry : request.cacheImports()) {
            out.addCacheImports(
                    CacheOptionsEntry.newBuilder().setType(entry.type()).putAllAttrs(entry.attrs()));
        }
        caps.require("return");
        boolean evaluateLater = false;
        if (request.evaluate()) {
            if (caps.supports("gateway.solve.evaluate")) {
                out.setEvaluate(true);
            } else {
                // an older engine evaluates a reference when a file of it is read
                evaluateLater = true;
            }
        }
        SolveResponse response;
        try {
            response = call(describe(request), () -> bridge.solve(out.build()));
        } catch (GatewayException e) {
            throw withFailedStep(e);
        }
        Result result = fromProto(response);
        if (evaluateLater) {
            for (Reference reference : references(result)) {
                reference.statFile(new StatRequest("."));
            }
        }
        return result;
    }

    private static String describe(SolveRequest request) {
        return request.frontend().isEmpty() ? "solve" : "solve with frontend " + request.frontend();
    }

    private static List<Reference> references(Result result) {
        List<Reference> all = new ArrayList<>();
        result.ref().ifPresent(all::add);
        all.addAll(result.refs().values());
        return all;
    }

    private Result fromProto(SolveResponse response) {
        if (!response.hasResult()) {
            return response.getRef().isEmpty()
                    ? Result.empty()
                    : Result.of(new BridgeReference(this, response.getRef(), null));
        }
        dev.kiln.api.gateway.Result in = response.getResult();
        Result result = Result.empty();
        switch (in.getResultCase()) {
            case REFDEPRECATED -> {
                if (!in.getRefDeprecated().isEmpty()) {
                    result = result.withRef(new BridgeReference(this, in.getRefDeprecated(), null));
                }
            }
            case REFSDEPRECATED -> {
                for (var e : new TreeMap<>(in.getRefsDeprecated().getRefsMap()).entrySet()) {
                    if (!e.getValue().isEmpty()) {
                        result = result.withRef(e.getKey(), new BridgeReference(this, e.getValue(), null));
                    }
                }
            }
            case REF -> {
                if (!in.getRef().getId().isEmpty()) {
                    result = result.withRef(reference(in.getRef()));
                }
            }
            case REFS -> {
                for (var e : new TreeMap<>(in.getRefs().getRefsMap()).entrySet()) {
                    if (!e.getValue().getId().isEmpty()) {
                        result = result.withRef(e.getKey(), reference(e.getValue()));
                    }
                }
            }
            case RESULT_NOT_SET -> {}
        }
        for (var fact : new TreeMap<>(in.getMetadataMap()).entrySet()) {
            result = result.withMetadata(fact.getKey(), fact.getValue().toByteArray());
        }
        return result;
    }

    private BridgeReference reference(Ref ref) {
        return new BridgeReference(this, ref.getId(), ref.hasDef() ? ref.getDef() : null);
    }

    @Override
    public ResolvedImageConfig resolveImageConfig(String ref, ResolveImageConfigOpt options)
            throws InterruptedException {
        if (caps.supports("source.metaresolver")) {
            return resolveThroughSourceMeta(ref, options);
        }
        caps.require("resolveimage");
        ResolveImageConfigRequest.Builder request = ResolveImageConfigRequest.newBuilder()
                .setRef(ref)
                .setLogName(options.logName())
                .setResolveMode(options.resolveMode())
                // BuildKit's resolver types: 0 a registry, 1 an OCI layout in the client's session
                .setResolverType(options.store() == ResolveImageConfigOpt.ImageStore.OCI_LAYOUT ? 1 : 0);
        if (options.platform() != null) {
            request.setPlatform(options.platform());
        }
        if (options.store() == ResolveImageConfigOpt.ImageStore.OCI_LAYOUT) {
            request.setSessionID(facts.sessionId()).setStoreID(options.storeId());
        }
        ResolveImageConfigResponse response =
                call("resolve image config for " + ref, () -> bridge.resolveImageConfig(request.build()));
        // an engine older than the canonical name answers none: the name asked for stands
        String resolved = response.getRef().isEmpty() ? ref : response.getRef();
        return new ResolvedImageConfig(
                resolved,
                digest(response.getDigest(), ref),
                response.getConfig().toByteArray());
    }

    /** BuildKit v0.24 prefers ResolveSourceMeta: the image is a source, resolved with its policies. */
    private ResolvedImageConfig resolveThroughSourceMeta(String ref, ResolveImageConfigOpt options)
            throws InterruptedException {
        boolean layout = options.store() == ResolveImageConfigOpt.ImageStore.OCI_LAYOUT;
        String scheme = layout ? "oci-layout://" : "docker-image://";
        SourceOp.Builder source = SourceOp.newBuilder().setIdentifier(scheme + ref);
        if (layout) {
            source.putAttrs("oci.session", facts.sessionId());
            if (!options.storeId().isEmpty()) {
                source.putAttrs("oci.store", options.storeId());
            }
        }
        ResolveSourceMetaRequest.Builder request = ResolveSourceMetaRequest.newBuilder()
                .setSource(source)
                .setLogName(options.logName())
                .setResolveMode(options.resolveMode());
        if (options.platform() != null) {
            request.setPlatform(options.platform());
        }
        ResolveSourceMetaResponse response =
                call("resolve image config for " + ref, () -> bridge.resolveSourceMeta(request.build()));
        if (!response.hasImage()) {
            throw new GatewayException("resolve image config for " + ref + ": the engine resolved it to "
                    + response.getSource().getIdentifier() + ", which is not an image");
        }
        String identifier = response.getSource().getIdentifier();
        String resolved = identifier.startsWith(scheme) ? identifier.substring(scheme.length()) : ref;
        return new ResolvedImageConfig(
                resolved,
                digest(response.getImage().getDigest(), ref),
                response.getImage().getConfig().toByteArray());
    }

    private static Digest digest(String text, String ref) {
        try {
            return Digest.parse(text);
        } catch (IllegalArgumentException e) {
            throw new GatewayException("resolve image config for " + ref + ": the engine answered the digest \"" + text
                    + "\": " + e.getMessage());
        }
    }

    @Override
    public BuildOpts buildOpts() {
        return new BuildOpts(
                facts.opts(), facts.sessionId(), workers, facts.product(), llbCaps.enabled(), caps.enabled());
    }

    @Override
    public Map<String, State> inputs() throws InterruptedException {
        caps.require("frontend.inputs");
        Map<String, Definition> definitions = call(
                        "read the frontend's inputs", () -> bridge.inputs(InputsRequest.getDefaultInstance()))
                .getDefinitionsMap();
        Map<String, State> states = new LinkedHashMap<>();
        new TreeMap<>(definitions).forEach((name, definition) -> states.put(name, State.fromDefinition(definition)));
        return states;
    }

    @Override
    public Container newContainer(NewContainerRequest request) throws InterruptedException {
        caps.require("gateway.exec");
        if (!request.extraHosts().isEmpty()) {
            caps.require("gateway.exec.extrahosts");
        }
        return BridgeContainer.create(this, request);
    }

    /** The one ExecProcess stream of this client, opened on first use (as Go's message forwarder). */
    ExecStream exec() {
        synchronized (execLock) {
            if (exec == null || exec.failed()) {
                exec = ExecStream.open(LLBBridgeGrpc.newStub(channel));
            }
            return exec;
        }
    }

    private void closeExec() {
        ExecStream stream;
        synchronized (execLock) {
            stream = exec;
            exec = null;
        }
        if (stream != null) {
            stream.close();
        }
    }

    @Override
    public void warn(Digest vertex, String message, WarnOpts options) {
        WarnOpts opts = options == null ? WarnOpts.none() : options;
        WarnRequest.Builder request = WarnRequest.newBuilder()
                .setDigest(vertex == null ? "" : vertex.toString())
                .setLevel(opts.level())
                .setShort(ByteString.copyFromUtf8(message))
                .addAllRanges(opts.ranges())
                .setUrl(opts.url());
        opts.detail().forEach(line -> request.addDetail(ByteString.copyFrom(line)));
        if (opts.sourceInfo() != null) {
            request.setInfo(opts.sourceInfo());
        }
        try {
            call("warn", () -> bridge.warn(request.build()));
        } catch (InterruptedException e) {
            // the interface gives warn no InterruptedException: keep the cancellation for the next call
            Thread.currentThread().interrupt();
            throw new GatewayException("warn: cancelled", e);
        }
    }

    Capabilities caps() {
        return caps;
    }

    LLBBridgeGrpc.LLBBridgeBlockingStub bridge() {
        return bridge;
    }

    /**
     * Makes one blocking call: a failure becomes a {@link GatewayException} whose message is the engine's, and an
     * interrupted caller (the call was cancelled on the engine too) gets an {@link InterruptedException}.
     */
    static <T> T call(String what, Supplier<T> rpc) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException(what + ": cancelled");
        }
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            if (e.getCause() instanceof InterruptedException || Thread.interrupted()) {
                InterruptedException cancelled = new InterruptedException(what + ": cancelled");
                cancelled.initCause(e);
                throw cancelled;
            }
            throw failure(what, e.getStatus(), e);
        }
    }

    /**
     * A failed solve as the gateway API says it: a {@link SolveError} whose references are the failed step's files,
     * when the engine sent BuildKit's errdefs.Solve detail (a RUN step failed), else the failure as it is.
     */
    GatewayException withFailedStep(GatewayException failure) {
        Optional<dev.kiln.api.errdefs.Solve> step = dev.kiln.api.SolveErrorDetails.of(failure);
        if (step.isEmpty()) {
            return failure;
        }
        return new dev.kiln.gateway.SolveError(
                failure.getMessage(),
                failure,
                step.get().getOp(),
                references(step.get().getInputIDsList()),
                references(step.get().getMountIDsList()),
                step.get().getDescriptionMap());
    }

    /** The engine's ids as references; an empty id (a mount that keeps nothing) is null. */
    private List<Reference> references(List<String> ids) {
        List<Reference> refs = new ArrayList<>();
        for (String id : ids) {
            refs.add(id.isEmpty() ? null : new BridgeReference(this, id, null));
        }
        return refs;
    }

    static GatewayException failure(String what, Status status, Throwable cause) {
        String description = status.getDescription();
        String message = description == null || description.isEmpty()
                ? what + ": " + status.getCode()
                : switch (status.getCode()) {
                    // the engine's words are the message; the transport's need saying where they came from
                    case UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL ->
                        what + ": " + status.getCode() + ": " + description;
                    default -> description;
                };
        return new GatewayException(message, cause);
    }
}
