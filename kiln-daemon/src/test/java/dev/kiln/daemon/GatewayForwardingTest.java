package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.kiln.api.SolveErrorDetails;
import dev.kiln.api.apicaps.APICap;
import dev.kiln.api.control.Exporter;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.errdefs.Source;
import dev.kiln.api.gateway.LLBBridgeGrpc;
import dev.kiln.api.gateway.PingRequest;
import dev.kiln.api.gateway.PongResponse;
import dev.kiln.api.gateway.ReadFileRequest;
import dev.kiln.api.gateway.Ref;
import dev.kiln.api.gateway.Result;
import dev.kiln.api.gateway.ReturnRequest;
import dev.kiln.api.gateway.StatFileRequest;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.Position;
import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The gateway forwarder mode that buildctl build and docker buildx use, driven by our own gRPC client on BuildKit's
 * protos against a real daemon: a Control.Solve with neither frontend nor definition, then LLBBridge calls on the same
 * channel naming the build in the buildkit-controlapi-buildid header, and the client's Return.
 */
class GatewayForwardingTest extends DaemonWithBusybox {

    private LLBBridgeGrpc.LLBBridgeBlockingStub bridge(String ref) {
        Metadata headers = new Metadata();
        headers.put(LlbBridgeService.BUILD_ID, ref);
        return LLBBridgeGrpc.newBlockingStub(daemon.channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    /** The client's Return of a failed build, as a frontend's error reaches buildctl: UNKNOWN with its message. */
    private void returnError(String ref, String message) {
        bridge(ref)
                .return_(ReturnRequest.newBuilder()
                        .setError(com.google.rpc.Status.newBuilder()
                                .setCode(Status.Code.UNKNOWN.value())
                                .setMessage(message))
                        .build());
    }

    /** The Control.Solve of a forwarded build, sent first as buildctl does; it ends when the build is exported. */
    private CompletableFuture<SolveResponse> forwardedSolve(String ref, Exporter... exporters) {
        return forwardedSolve(ref, "", exporters);
    }

    private CompletableFuture<SolveResponse> forwardedSolve(String ref, String session, Exporter... exporters) {
        SolveRequest.Builder request = SolveRequest.newBuilder().setRef(ref).setSession(session);
        for (Exporter exporter : exporters) {
            request.addExporters(exporter);
        }
        return CompletableFuture.supplyAsync(
                () -> daemon.control().withDeadlineAfter(180, TimeUnit.SECONDS).solve(request.build()));
    }

    private static dev.kiln.api.gateway.SolveRequest solveOf(State state) {
        return dev.kiln.api.gateway.SolveRequest.newBuilder()
                .setDefinition(state.marshal())
                .setAllowResultReturn(true)
                .setAllowResultArrayRef(true)
                .build();
    }

    @Test
    void aClientSolvesReadsAndReturnsAndTheDaemonExportsWhatItReturned() throws Exception {
        String ref = "forward-" + System.nanoTime();
        Path local = tmp.resolve("local-out");
        Path oci = tmp.resolve("out.oci.tar");
        // the outputs go back to the client through its session, as buildctl receives them
        String sessionId = java.util.UUID.randomUUID().toString();
        dev.kiln.api.session.SessionTunnel session = daemon.exportSession(
                sessionId,
                java.util.Map.of(
                        0,
                        new dev.kiln.api.session.FileTarget.ToDirectory(local),
                        1,
                        new dev.kiln.api.session.FileTarget.ToFile(oci)));
        CompletableFuture<SolveResponse> solve = forwardedSolve(
                ref,
                sessionId,
                Exporter.newBuilder().setType("local").build(),
                Exporter.newBuilder().setType("oci").build());

        PongResponse pong = bridge(ref).ping(PingRequest.getDefaultInstance());
        assertThat(pong.getFrontendAPICapsList())
                .filteredOn(APICap::getEnabled)
                .extracting(APICap::getID)
                .contains(
                        "solve.base",
                        "return",
                        "proto.refarray",
                        "readfile",
                        "readdir",
                        "statfile",
                        "frontend.inputs",
                        "gateway.evaluate");
        // buildx reads the exporters' caps from here before it sends attestations or a second --output
        assertThat(pong.getLLBCapsList())
                .extracting(APICap::getID)
                .contains("exec.meta.base", "source.local")
                .contains("exporter.image.attestations", "exporter.multiple", "exporter.image.annotations");
        // the host's platform first, then those it runs through an emulator
        assertThat(pong.getWorkersList())
                .singleElement()
                .satisfies(worker -> assertThat(worker.getPlatformsList())
                        .extracting(p -> dev.kiln.llb.pb.Platform.parseFrom(p).getOS())
                        .isNotEmpty()
                        .containsOnly("linux"));

        State state = State.image(busybox.toString())
                .run(RunOption.sh("echo forwarded > /out.txt"))
                .root();
        Result solved = bridge(ref).solve(solveOf(state)).getResult();
        assertThat(solved.getResultCase()).isEqualTo(Result.ResultCase.REF);
        String id = solved.getRef().getId();
        assertThat(id).isNotEmpty();
        assertThat(solved.getRef().getDef().getDefCount())
                .as("the ref's LLB, for a client that builds on it")
                .isPositive();

        ByteString read = bridge(ref)
                .readFile(ReadFileRequest.newBuilder()
                        .setRef(id)
                        .setFilePath("/out.txt")
                        .build())
                .getData();
        assertThat(read.toString(StandardCharsets.UTF_8)).isEqualTo("forwarded\n");
        assertThat(bridge(ref)
                        .statFile(StatFileRequest.newBuilder()
                                .setRef(id)
                                .setPath("out.txt")
                                .build())
                        .getStat()
                        .getSize())
                .isEqualTo(10);

        bridge(ref)
                .return_(ReturnRequest.newBuilder()
                        .setResult(Result.newBuilder()
                                .setRef(Ref.newBuilder().setId(id))
                                // the frontend's image config, as the Dockerfile frontend returns it: used, not echoed
                                // back
                                .putMetadata(
                                        "containerimage.config",
                                        ByteString.copyFromUtf8(
                                                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"FORWARDED=1\"]},"
                                                        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")))
                        .build());
        SolveResponse response = solve.get(180, TimeUnit.SECONDS);
        session.close();

        assertThat(local.resolve("out.txt")).hasContent("forwarded");
        assertThat(oci).isNotEmptyFile();
        assertThat(response.getExporterResponseMap())
                .containsOnlyKeys("containerimage.digest", "containerimage.config.digest", "containerimage.descriptor");
    }

    @Test
    void theClientsReturnedErrorFailsTheSolveWithItsMessage() {
        String ref = "forward-error-" + System.nanoTime();
        CompletableFuture<SolveResponse> solve = forwardedSolve(ref);
        bridge(ref).ping(PingRequest.getDefaultInstance());
        returnError(ref, "Dockerfile:3: unknown instruction: FOOBAR");

        assertThatThrownBy(() -> solve.get(60, TimeUnit.SECONDS))
                .hasRootCauseInstanceOf(StatusRuntimeException.class)
                .rootCause()
                .hasMessageContaining("Dockerfile:3: unknown instruction: FOOBAR");
    }

    @Test
    void theClientsReturnedErrorKeepsItsDockerfileLinesForTheSolvesClient() {
        String ref = "forward-source-" + System.nanoTime();
        CompletableFuture<SolveResponse> solve = forwardedSolve(ref);
        bridge(ref).ping(PingRequest.getDefaultInstance());
        // the line the parser stopped at, as a range with no end (buildctl marks its start)
        Range stoppedAt =
                Range.newBuilder().setStart(Position.newBuilder().setLine(2)).build();
        Source lines = Source.newBuilder()
                .setInfo(SourceInfo.newBuilder()
                        .setFilename("Dockerfile")
                        .setData(ByteString.copyFromUtf8("FROM busybox\nFOOBAR nonsense\n")))
                .addRanges(stoppedAt)
                .build();
        // the detail as a BuildKit frontend's client packs it into its Return
        com.google.rpc.Status sent = StatusProto.fromThrowable(SolveErrorDetails.withDetails(
                Status.UNKNOWN.withDescription("dockerfile parse error on line 2: unknown instruction: FOOBAR"),
                List.of(lines)));
        bridge(ref).return_(ReturnRequest.newBuilder().setError(sent).build());

        assertThatThrownBy(() -> solve.get(60, TimeUnit.SECONDS))
                .rootCause()
                .hasMessageContaining("unknown instruction: FOOBAR")
                .satisfies(failure ->
                        assertThat(SolveErrorDetails.sourceOf(failure)).contains(lines));
    }

    @Test
    void aFailingStepFailsTheBridgeSolveWithItsMessage() throws Exception {
        String ref = "forward-fail-" + System.nanoTime();
        CompletableFuture<SolveResponse> solve = forwardedSolve(ref);
        State state = State.image(busybox.toString())
                .run(RunOption.sh("echo broken >&2; exit 5"))
                .root();
        assertThatThrownBy(() -> bridge(ref)
                        .solve(solveOf(state).toBuilder().setEvaluate(true).build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("did not complete successfully: exit code: 5");
        returnError(ref, "exit code: 5");
        assertThatThrownBy(() -> solve.get(60, TimeUnit.SECONDS)).rootCause().hasMessageContaining("exit code: 5");
    }

    @Test
    void aReturnNamingAnUnknownRefFailsTheBuildClearly() {
        String ref = "forward-unknown-" + System.nanoTime();
        CompletableFuture<SolveResponse> solve = forwardedSolve(ref);
        assertThatThrownBy(() -> bridge(ref)
                        .return_(ReturnRequest.newBuilder()
                                .setResult(Result.newBuilder()
                                        .setRef(Ref.newBuilder().setId("nosuchref")))
                                .build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("NOT_FOUND")
                .hasMessageContaining("no such ref nosuchref");
        assertThatThrownBy(() -> solve.get(60, TimeUnit.SECONDS))
                .rootCause()
                .hasMessageContaining("the client returned an unusable result");
    }

    @Test
    void aCancelledSolveEndsItsBridge() throws Exception {
        String ref = "forward-cancel-" + System.nanoTime();
        io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
        CompletableFuture<Void> solve = CompletableFuture.runAsync(() -> call.run(() ->
                daemon.control().solve(SolveRequest.newBuilder().setRef(ref).build())));
        bridge(ref).ping(PingRequest.getDefaultInstance());
        call.cancel(null);
        assertThatThrownBy(() -> solve.get(30, TimeUnit.SECONDS)).hasMessageContaining("CANCELLED");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                bridge(ref).withDeadlineAfter(20, TimeUnit.SECONDS).ping(PingRequest.getDefaultInstance());
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isIn(Status.Code.NOT_FOUND, Status.Code.FAILED_PRECONDITION);
                break;
            }
            assertThat(System.nanoTime())
                    .as("the bridge forgot the cancelled build")
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void aCallWithoutABuildIdIsRefused() {
        assertThatThrownBy(() -> LLBBridgeGrpc.newBlockingStub(daemon.channel).ping(PingRequest.getDefaultInstance()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("buildkit-controlapi-buildid");
    }
}
