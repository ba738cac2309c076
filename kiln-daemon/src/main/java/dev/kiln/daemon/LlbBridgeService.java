package dev.kiln.daemon;

import com.google.protobuf.ByteString;
import dev.kiln.api.DiscardingObserver;
import dev.kiln.api.ResultRefs;
import dev.kiln.api.apicaps.APICap;
import dev.kiln.api.errdefs.Solve;
import dev.kiln.api.gateway.EvaluateRequest;
import dev.kiln.api.gateway.EvaluateResponse;
import dev.kiln.api.gateway.ExecMessage;
import dev.kiln.api.gateway.InputsRequest;
import dev.kiln.api.gateway.InputsResponse;
import dev.kiln.api.gateway.LLBBridgeGrpc;
import dev.kiln.api.gateway.NewContainerRequest;
import dev.kiln.api.gateway.NewContainerResponse;
import dev.kiln.api.gateway.PingRequest;
import dev.kiln.api.gateway.PongResponse;
import dev.kiln.api.gateway.ReadDirRequest;
import dev.kiln.api.gateway.ReadDirResponse;
import dev.kiln.api.gateway.ReadFileRequest;
import dev.kiln.api.gateway.ReadFileResponse;
import dev.kiln.api.gateway.Ref;
import dev.kiln.api.gateway.ReleaseContainerRequest;
import dev.kiln.api.gateway.ReleaseContainerResponse;
import dev.kiln.api.gateway.ResolveImageConfigRequest;
import dev.kiln.api.gateway.ResolveImageConfigResponse;
import dev.kiln.api.gateway.ResolveSourceImageResponse;
import dev.kiln.api.gateway.ResolveSourceMetaRequest;
import dev.kiln.api.gateway.ResolveSourceMetaResponse;
import dev.kiln.api.gateway.ReturnRequest;
import dev.kiln.api.gateway.ReturnResponse;
import dev.kiln.api.gateway.SolveRequest;
import dev.kiln.api.gateway.SolveResponse;
import dev.kiln.api.gateway.StatFileRequest;
import dev.kiln.api.gateway.StatFileResponse;
import dev.kiln.api.gateway.WarnRequest;
import dev.kiln.api.gateway.WarnResponse;
import dev.kiln.core.Digest;
import dev.kiln.gateway.CacheOptionsEntry;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Container;
import dev.kiln.gateway.FileRange;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Mount;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.ResolvedImageConfig;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveError;
import dev.kiln.gateway.Stat;
import dev.kiln.gateway.WarnOpts;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.Definition;
import dev.kiln.llb.pb.SourceOp;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * BuildKit's LLBBridge, the frontend gateway, served on the daemon's own connections for builds whose frontend runs
 * in the client ({@link ForwardedBuild}): each call names its build in the {@code buildkit-controlapi-buildid}
 * header and goes to that build's engine {@link Client}. Results go out as reference ids the build keeps; the
 * client's Return hands the build its result to export. Containers the client makes (NewContainer) are the engine's,
 * kept by the build under the client's ids until ReleaseContainer or the build's end; their processes run over
 * ExecProcess streams ({@link ExecProcessStream}). A frontend container's bridge ({@link ContainerBridge}) is bound
 * to its one build instead, and needs no header.
 */
final class LlbBridgeService extends LLBBridgeGrpc.LLBBridgeImplBase {

    /** BuildKit's header naming the build of a bridge call (client/buildid). */
    static final Metadata.Key<String> BUILD_ID =
            Metadata.Key.of("buildkit-controlapi-buildid", Metadata.ASCII_STRING_MARSHALLER);

    private static final String IMAGE_SCHEME = "docker-image://";
    private static final String OCI_LAYOUT_SCHEME = "oci-layout://";

    /** How long a call waits for the Solve of its build to arrive (BuildKit waits 3 s; Ping's own limit is 15 s). */
    private static final Duration BUILD_WAIT = Duration.ofSeconds(10);

    /** How long a call waits for the engine to start its build: the Solve first waits for the client's session. */
    private static final Duration START_WAIT = Duration.ofSeconds(30);

    /**
     * The gateway capabilities Kiln's bridge has, by BuildKit's names (frontend/gateway/pb/caps.go); the rest are
     * answered as disabled with the reason, so that a client picks its fallback or names what is missing.
     */
    private static final Set<String> ENABLED = Set.of(
            "solve.base",
            "resolveimage",
            "resolveimage.resolvemode",
            "source.metaresolver",
            "readfile",
            "return",
            "returnmap",
            "readdir",
            "statfile",
            "proto.refarray",
            "reference.output",
            "frontend.inputs",
            "gateway.solve.metadata",
            "gateway.solve.evaluate",
            "gateway.evaluate",
            "gateway.warnings",
            "gateway.exec",
            "gateway.exec.extrahosts",
            "gateway.exec.signals");

    private static final Map<String, String> DISABLED = Map.of(
            "solve.inlinereturn", "results come back through Return",
            "importcaches", "cache imports are not supported yet",
            "gateway.exec.secretenv", "secret environment variables of container processes are not supported yet",
            "frontend.caps", "frontend subrequests are not supported yet",
            "reference.attestations", "attestations are not supported yet");

    private final ForwardedBuilds builds;
    private final ForwardedBuild bound;
    private final DaemonInfo info;

    LlbBridgeService(ForwardedBuilds builds, DaemonInfo info) {
        this(builds, null, info);
    }

    /** The bridge of one frontend container: every call is {@code build}'s. */
    LlbBridgeService(ForwardedBuild build, DaemonInfo info) {
        this(null, build, info);
    }

    /** Exactly one of {@code builds} (each call names its build) and {@code bound} is set. */
    private LlbBridgeService(ForwardedBuilds builds, ForwardedBuild bound, DaemonInfo info) {
        this.builds = builds;
        this.bound = bound;
        this.info = info;
    }

    @Override
    public void ping(PingRequest request, StreamObserver<PongResponse> response) {
        answer(response, () -> {
            Client client = client(build());
            PongResponse.Builder pong = PongResponse.newBuilder().addWorkers(info.workerRecord());
            for (String id : new java.util.TreeSet<>(ENABLED)) {
                pong.addFrontendAPICaps(APICap.newBuilder().setID(id).setEnabled(true));
            }
            new TreeMap<>(DISABLED)
                    .forEach((id, why) -> pong.addFrontendAPICaps(APICap.newBuilder()
                            .setID(id)
                            .setEnabled(false)
                            .setDisabledReason("kiln")
                            .setDisabledReasonMsg(why)));
            for (String id : new java.util.TreeSet<>(client.buildOpts().llbCaps())) {
                pong.addLLBCaps(APICap.newBuilder().setID(id).setEnabled(true));
            }
            return pong.build();
        });
    }

    @Override
    public void solve(SolveRequest request, StreamObserver<SolveResponse> response) {
        answer(response, () -> {
            ForwardedBuild build = build();
            Client client = client(build);
            if (request.getSourcePoliciesCount() > 0) {
                throw Status.UNIMPLEMENTED
                        .withDescription("source policies are not supported yet")
                        .asRuntimeException();
            }
            if (request.getFinal()) {
                throw Status.UNIMPLEMENTED
                        .withDescription(
                                "the inline return (Final) is not supported: " + "return the result with Return")
                        .asRuntimeException();
            }
            boolean hasDefinition =
                    request.hasDefinition() && request.getDefinition().getDefCount() > 0;
            Result result;
            if (!hasDefinition && request.getFrontend().isEmpty()) {
                // nothing to solve: BuildKit answers an empty result, which a frontend uses for scratch
                result = Result.empty();
            } else {
                List<CacheOptionsEntry> cacheImports = request.getCacheImportsList().stream()
                        .map(e -> new CacheOptionsEntry(e.getType(), e.getAttrsMap()))
                        .toList();
                try {
                    result = client.solve(new dev.kiln.gateway.SolveRequest(
                            request.getEvaluate(),
                            hasDefinition ? request.getDefinition() : null,
                            request.getFrontend(),
                            request.getFrontendOptMap(),
                            request.getFrontendInputsMap(),
                            cacheImports));
                } catch (GatewayException e) {
                    throw withFailedStep(build, e);
                }
            }
            return solveResponse(build, result, request.getAllowResultReturn(), request.getAllowResultArrayRef());
        });
    }

    /**
     * The status of a failed solve: when a RUN step failed ({@link SolveError} anywhere in the chain, however a
     * frontend wrapped it), the step's files get ids of this build and travel as BuildKit's errdefs.Solve detail,
     * which a client opens a debug container with, beside the step's digest and source (FailureDetails); the message is
     * the outermost one, as the user should read it.
     */
    private static RuntimeException withFailedStep(ForwardedBuild build, GatewayException failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SolveError step) {
                Solve.Builder detail = Solve.newBuilder().setOp(step.op()).putAllDescription(step.description());
                step.inputs().forEach(input -> detail.addInputIDs(input == null ? "" : build.register(input)));
                step.mounts().forEach(mount -> detail.addMountIDs(mount == null ? "" : build.register(mount)));
                return FailureDetails.status(failure, java.util.Optional.of(detail.build()));
            }
        }
        return failure;
    }

    private static SolveResponse solveResponse(
            ForwardedBuild build, Result result, boolean allowResult, boolean arrayRefs) {
        if (!result.refs().isEmpty() && !allowResult) {
            throw Status.FAILED_PRECONDITION
                    .withDescription("the solve produced named references, which this "
                            + "client cannot receive (it does not allow a result return)")
                    .asRuntimeException();
        }
        dev.kiln.api.gateway.Result.Builder out = dev.kiln.api.gateway.Result.newBuilder();
        result.metadata().forEach((key, value) -> out.putMetadata(key, ByteString.copyFrom(value)));
        String defaultId = "";
        if (!result.refs().isEmpty()) {
            Map<String, Ref> refs = new LinkedHashMap<>();
            result.refs().forEach((name, reference) -> refs.put(name, ref(build, reference)));
            ResultRefs.putRefs(out, refs, arrayRefs);
        } else {
            Ref ref = result.ref().map(reference -> ref(build, reference)).orElse(Ref.getDefaultInstance());
            defaultId = ref.getId();
            ResultRefs.putRef(out, ref, arrayRefs);
        }
        SolveResponse.Builder answer = SolveResponse.newBuilder().setResult(out);
        if (!allowResult) {
            answer.setRef(defaultId);
        }
        return answer.build();
    }

    /** A reference as the client sees it: a new id, and its definition for a client that builds on it. */
    private static Ref ref(ForwardedBuild build, Reference reference) {
        Ref.Builder ref = Ref.newBuilder().setId(build.register(reference));
        definition(reference).ifPresent(ref::setDef);
        return ref.build();
    }

    private static Optional<Definition> definition(Reference reference) {
        try {
            return Optional.of(reference.toState().marshal());
        } catch (RuntimeException e) {
            // a reference that cannot say its LLB still serves reads and exports by its id
            return Optional.empty();
        }
    }

    @Override
    public void return_(ReturnRequest request, StreamObserver<ReturnResponse> response) {
        answer(response, () -> {
            ForwardedBuild build = build();
            boolean first;
            if (request.hasError() && request.getError().getCode() != Status.Code.OK.value()) {
                String message = request.getError().getMessage();
                first = build.fail(
                        message.isEmpty()
                                ? "the client's frontend failed with code "
                                        + Status.fromCodeValue(
                                                        request.getError().getCode())
                                                .getCode()
                                : message,
                        StatusProto.toStatusRuntimeException(request.getError()));
            } else {
                Result result;
                try {
                    result = returnedResult(build, request.getResult());
                } catch (StatusRuntimeException e) {
                    // an unusable result fails the build too: it would otherwise wait for a Return that never comes
                    build.fail("the client returned an unusable result: "
                            + e.getStatus().getDescription());
                    throw e;
                }
                first = build.complete(result);
            }
            if (!first) {
                throw Status.FAILED_PRECONDITION
                        .withDescription("build " + build.ref() + " has its result already")
                        .asRuntimeException();
            }
            return ReturnResponse.getDefaultInstance();
        });
    }

    private static Result returnedResult(ForwardedBuild build, dev.kiln.api.gateway.Result in) {
        if (in.getAttestationsCount() > 0) {
            throw Status.UNIMPLEMENTED
                    .withDescription("attestations are not supported yet")
                    .asRuntimeException();
        }
        Result result = Result.empty();
        switch (in.getResultCase()) {
            case REFDEPRECATED -> result = withDefault(build, result, in.getRefDeprecated());
            case REF -> result = withDefault(build, result, in.getRef().getId());
            case REFSDEPRECATED -> {
                for (Map.Entry<String, String> e :
                        new TreeMap<>(in.getRefsDeprecated().getRefsMap()).entrySet()) {
                    result = withNamed(build, result, e.getKey(), e.getValue());
                }
            }
            case REFS -> {
                for (Map.Entry<String, Ref> e : new TreeMap<>(in.getRefs().getRefsMap()).entrySet()) {
                    result = withNamed(build, result, e.getKey(), e.getValue().getId());
                }
            }
            case RESULT_NOT_SET -> {}
        }
        for (Map.Entry<String, ByteString> fact : in.getMetadataMap().entrySet()) {
            result = result.withMetadata(fact.getKey(), fact.getValue().toByteArray());
        }
        return result;
    }

    /** An empty id is the client's nil reference: a result of nothing (scratch). */
    private static Result withDefault(ForwardedBuild build, Result result, String id) {
        return id.isEmpty() ? result : result.withRef(build.reference(id));
    }

    private static Result withNamed(ForwardedBuild build, Result result, String name, String id) {
        return id.isEmpty() ? result : result.withRef(name, build.reference(id));
    }

    @Override
    public void readFile(ReadFileRequest request, StreamObserver<ReadFileResponse> response) {
        answer(response, () -> {
            Reference reference = reference(request.getRef());
            FileRange range = request.hasRange()
                    ? new FileRange(request.getRange().getOffset(), (int)
                            Math.min(Integer.MAX_VALUE, request.getRange().getLength()))
                    : null;
            byte[] data = reference.readFile(new dev.kiln.gateway.ReadRequest(request.getFilePath(), range));
            return ReadFileResponse.newBuilder()
                    .setData(ByteString.copyFrom(data))
                    .build();
        });
    }

    @Override
    public void readDir(ReadDirRequest request, StreamObserver<ReadDirResponse> response) {
        answer(response, () -> {
            Reference reference = reference(request.getRef());
            ReadDirResponse.Builder entries = ReadDirResponse.newBuilder();
            for (Stat stat : reference.readDir(
                    new dev.kiln.gateway.ReadDirRequest(request.getDirPath(), request.getIncludePattern()))) {
                entries.addEntries(stat(stat));
            }
            return entries.build();
        });
    }

    @Override
    public void statFile(StatFileRequest request, StreamObserver<StatFileResponse> response) {
        answer(response, () -> {
            Reference reference = reference(request.getRef());
            Stat stat = reference.statFile(new dev.kiln.gateway.StatRequest(request.getPath()));
            return StatFileResponse.newBuilder().setStat(stat(stat)).build();
        });
    }

    private static dev.kiln.api.fsutil.Stat stat(Stat stat) {
        dev.kiln.api.fsutil.Stat.Builder out = dev.kiln.api.fsutil.Stat.newBuilder()
                .setPath(stat.path())
                .setMode(stat.mode())
                .setUid(stat.uid())
                .setGid(stat.gid())
                .setSize(stat.size())
                .setModTime(stat.modTime())
                .setLinkname(stat.linkname())
                .setDevmajor(stat.devmajor())
                .setDevminor(stat.devminor());
        stat.xattrs().forEach((name, value) -> out.putXattrs(name, ByteString.copyFrom(value)));
        return out.build();
    }

    @Override
    public void evaluate(EvaluateRequest request, StreamObserver<EvaluateResponse> response) {
        answer(response, () -> {
            try {
                reference(request.getRef()).evaluate();
            } catch (GatewayException e) {
                throw withFailedStep(build(), e);
            }
            return EvaluateResponse.getDefaultInstance();
        });
    }

    @Override
    public void inputs(InputsRequest request, StreamObserver<InputsResponse> response) {
        answer(response, () -> {
            InputsResponse.Builder inputs = InputsResponse.newBuilder();
            for (Map.Entry<String, State> input : client(build()).inputs().entrySet()) {
                inputs.putDefinitions(input.getKey(), input.getValue().marshal());
            }
            return inputs.build();
        });
    }

    @Override
    public void resolveImageConfig(
            ResolveImageConfigRequest request, StreamObserver<ResolveImageConfigResponse> response) {
        answer(response, () -> {
            Client client = client(build());
            refuseSourcePolicies(request.getSourcePoliciesCount());
            // BuildKit's ResolverType: 0 a registry, 1 an OCI layout in the client's session
            ResolveImageConfigOpt.ImageStore store = request.getResolverType() == 1
                    ? ResolveImageConfigOpt.ImageStore.OCI_LAYOUT
                    : ResolveImageConfigOpt.ImageStore.REGISTRY;
            ResolvedImageConfig resolved = client.resolveImageConfig(
                    request.getRef(),
                    new ResolveImageConfigOpt(
                            request.hasPlatform() ? request.getPlatform() : null,
                            request.getResolveMode(),
                            request.getLogName(),
                            store,
                            request.getStoreID()));
            return ResolveImageConfigResponse.newBuilder()
                    .setRef(resolved.ref())
                    .setDigest(resolved.digest().toString())
                    .setConfig(ByteString.copyFrom(resolved.config()))
                    .build();
        });
    }

    /**
     * BuildKit v0.24's way to resolve a source before it is used: an image source ({@code docker-image://} or
     * {@code oci-layout://}) comes back with its digest and config, as ResolveImageConfig gives them; any other
     * source comes back as it was asked, since this version of the protocol carries metadata for images only.
     */
    @Override
    public void resolveSourceMeta(
            ResolveSourceMetaRequest request, StreamObserver<ResolveSourceMetaResponse> response) {
        answer(response, () -> {
            if (!request.hasSource()) {
                throw Status.INVALID_ARGUMENT
                        .withDescription("source is required")
                        .asRuntimeException();
            }
            refuseSourcePolicies(request.getSourcePoliciesCount());
            SourceOp source = request.getSource();
            ResolveSourceMetaResponse.Builder answer =
                    ResolveSourceMetaResponse.newBuilder().setSource(source);
            String identifier = source.getIdentifier();
            boolean layout = identifier.startsWith(OCI_LAYOUT_SCHEME);
            if (!layout && !identifier.startsWith(IMAGE_SCHEME)) {
                return answer.build();
            }
            String ref = identifier.substring((layout ? OCI_LAYOUT_SCHEME : IMAGE_SCHEME).length());
            ResolvedImageConfig resolved = client(build())
                    .resolveImageConfig(
                            ref,
                            new ResolveImageConfigOpt(
                                    request.hasPlatform() ? request.getPlatform() : null,
                                    request.getResolveMode(),
                                    request.getLogName(),
                                    layout
                                            ? ResolveImageConfigOpt.ImageStore.OCI_LAYOUT
                                            : ResolveImageConfigOpt.ImageStore.REGISTRY,
                                    layout ? source.getAttrsOrDefault("oci.store", "") : ""));
            return answer.setImage(ResolveSourceImageResponse.newBuilder()
                            .setDigest(resolved.digest().toString())
                            .setConfig(ByteString.copyFrom(resolved.config())))
                    .build();
        });
    }

    private static void refuseSourcePolicies(int count) {
        if (count > 0) {
            throw Status.UNIMPLEMENTED
                    .withDescription("source policies are not supported yet")
                    .asRuntimeException();
        }
    }

    @Override
    public void warn(WarnRequest request, StreamObserver<WarnResponse> response) {
        answer(response, () -> {
            Client client = client(build());
            List<byte[]> detail = new ArrayList<>();
            request.getDetailList().forEach(line -> detail.add(line.toByteArray()));
            client.warn(
                    request.getDigest().isEmpty() ? null : Digest.parse(request.getDigest()),
                    request.getShort().toString(StandardCharsets.UTF_8),
                    new WarnOpts(
                            (int) request.getLevel(),
                            request.hasInfo() ? request.getInfo() : null,
                            request.getRangesList(),
                            detail,
                            request.getUrl()));
            return WarnResponse.getDefaultInstance();
        });
    }

    /**
     * A container for the client, under the id the client gives it, made by the engine's {@link Client#newContainer}
     * from mounts that name the build's references by id, as BuildKit's gateway makes one: an id in use is
     * ALREADY_EXISTS, a reference the build does not know is NOT_FOUND naming the mount.
     */
    @Override
    public void newContainer(NewContainerRequest request, StreamObserver<NewContainerResponse> response) {
        answer(response, () -> {
            ForwardedBuild build = build();
            Client client = client(build);
            String id = request.getContainerID();
            if (build.hasContainer(id)) {
                throw Status.ALREADY_EXISTS
                        .withDescription("Container " + id + " already exists")
                        .asRuntimeException();
            }
            List<Mount> mounts = new ArrayList<>();
            for (dev.kiln.llb.pb.Mount mount : request.getMountsList()) {
                mounts.add(mount(build, mount));
            }
            Container container = client.newContainer(new dev.kiln.gateway.NewContainerRequest(
                    mounts,
                    request.getNetwork(),
                    request.getExtraHostsList(),
                    request.hasPlatform() ? request.getPlatform() : null,
                    request.hasConstraints() ? request.getConstraints() : null,
                    request.getHostname()));
            build.addContainer(id, container);
            return NewContainerResponse.getDefaultInstance();
        });
    }

    /**
     * A mount of a new container as the engine takes it: its reference by the id the bridge handed out. As in
     * BuildKit's gateway, the fields a container uses are these; a tmpfs mount's size (TmpfsOpt) is not among them.
     */
    private static Mount mount(ForwardedBuild build, dev.kiln.llb.pb.Mount mount) {
        Reference reference = null;
        if (!mount.getResultID().isEmpty()) {
            try {
                reference = build.reference(mount.getResultID());
            } catch (StatusRuntimeException e) {
                throw Status.NOT_FOUND
                        .withDescription("failed to find ref " + mount.getResultID() + " for \"" + mount.getDest()
                                + "\" mount: " + e.getStatus().getDescription())
                        .asRuntimeException();
            }
        }
        return Mount.of(mount, reference);
    }

    /** Kills what runs in the container and frees its mounts; BuildKit's answer for an id it does not know. */
    @Override
    public void releaseContainer(ReleaseContainerRequest request, StreamObserver<ReleaseContainerResponse> response) {
        answer(response, () -> {
            ForwardedBuild build = build();
            Container container = build.removeContainer(request.getContainerID());
            if (container == null) {
                throw Status.UNKNOWN
                        .withDescription("container details for " + request.getContainerID() + " not found")
                        .asRuntimeException();
            }
            container.release();
            return ReleaseContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public StreamObserver<ExecMessage> execProcess(StreamObserver<ExecMessage> response) {
        ForwardedBuild build;
        try {
            build = build();
            client(build);
        } catch (StatusRuntimeException e) {
            response.onError(e);
            return new DiscardingObserver<>();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.onError(Status.CANCELLED.withDescription("cancelled").asRuntimeException());
            return new DiscardingObserver<>();
        }
        return new ExecProcessStream(build, (ServerCallStreamObserver<ExecMessage>) response);
    }

    /** The build the call's header names. */
    private ForwardedBuild build() throws InterruptedException {
        if (bound != null) {
            return bound;
        }
        Metadata headers = ControlService.HEADERS.get();
        String id = headers == null ? null : headers.get(BUILD_ID);
        if (id == null || id.isEmpty()) {
            throw Status.INVALID_ARGUMENT
                    .withDescription("a gateway call needs the header " + BUILD_ID.originalName() + " naming its build")
                    .asRuntimeException();
        }
        return builds.await(id, BUILD_WAIT);
    }

    private static Client client(ForwardedBuild build) throws InterruptedException {
        return build.client(START_WAIT);
    }

    private Reference reference(String id) throws InterruptedException {
        ForwardedBuild build = build();
        client(build);
        return build.reference(id);
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws Exception;
    }

    /**
     * Runs one unary call on this (virtual) thread and answers it: a client that cancels the call interrupts the
     * work; failures become statuses whose description is the message a user acts on.
     */
    private static <T> void answer(StreamObserver<T> response, Call<T> call) {
        Thread worker = Thread.currentThread();
        Context.CancellationListener cancel = context -> worker.interrupt();
        Context.current().addListener(cancel, Runnable::run);
        try {
            T value = call.run();
            response.onNext(value);
            response.onCompleted();
        } catch (StatusRuntimeException e) {
            response.onError(e);
        } catch (InterruptedException e) {
            response.onError(Status.CANCELLED.withDescription("cancelled").asRuntimeException());
        } catch (IllegalArgumentException e) {
            response.onError(
                    Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (GatewayException e) {
            response.onError(FailureDetails.status(e));
        } catch (Exception e) {
            response.onError(Status.UNKNOWN
                    .withDescription(e.getClass().getSimpleName() + ": " + e.getMessage())
                    .asRuntimeException());
        } finally {
            Context.current().removeListener(cancel);
            // the call's end cancels its context too, which must not interrupt whatever this thread does next
            Thread.interrupted();
        }
    }
}
