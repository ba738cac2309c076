package dev.kiln.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.errdefs.Solve;
import dev.kiln.api.errdefs.Source;
import dev.kiln.api.errdefs.Vertex;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.Meta;
import dev.kiln.llb.pb.Mount;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.Position;
import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import org.junit.jupiter.api.Test;

/** errdefs.Solve in a gRPC status, in the JSON form BuildKit's grpcerrors writes and reads. */
class SolveErrorDetailsTest {

    private static final Solve FAILED = Solve.newBuilder()
            .addInputIDs("input-1")
            .addMountIDs("mount-1")
            .setOp(Op.newBuilder()
                    .setExec(ExecOp.newBuilder()
                            .setMeta(Meta.newBuilder()
                                    .addArgs("/bin/sh")
                                    .addArgs("-c")
                                    .addArgs("exit 3")
                                    .setCwd("/src"))
                            .addMounts(
                                    Mount.newBuilder().setDest("/").setInput(0).setOutput(0))))
            .putDescription("llb.customname", "RUN exit 3")
            .build();

    @Test
    void aFailedStepTravelsInTheStatusAndComesBackWhole() {
        StatusRuntimeException sent =
                SolveErrorDetails.withDetails(Status.UNKNOWN.withDescription("exit code: 3"), FAILED);

        assertThat(sent.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN);
        assertThat(sent.getStatus().getDescription()).isEqualTo("exit code: 3");
        assertThat(SolveErrorDetails.of(new RuntimeException("wrapped", sent))).contains(FAILED);
    }

    @Test
    void theDetailIsBuildKitsTypeUrlAndProtobufJson() {
        com.google.rpc.Status proto =
                StatusProto.fromThrowable(SolveErrorDetails.withDetails(Status.UNKNOWN.withDescription("x"), FAILED));

        assertThat(proto.getDetailsList()).singleElement().satisfies(detail -> {
            assertThat(detail.getTypeUrl()).isEqualTo("github.com/moby/buildkit/errdefs.Solve+json");
            assertThat(detail.getValue().toStringUtf8())
                    .startsWith("{\"inputIDs\":[\"input-1\"],\"mountIDs\":[\"mount-1\"],\"op\":{\"exec\":{\"meta\":")
                    .contains("\"args\":[\"/bin/sh\",\"-c\",\"exit 3\"]");
        });
    }

    @Test
    void aSourceAndAVertexTravelBesideTheStepUnderBuildKitsTypeUrls() {
        Source source = Source.newBuilder()
                .setInfo(SourceInfo.newBuilder()
                        .setFilename("Dockerfile")
                        .setLanguage("Dockerfile")
                        .setData(com.google.protobuf.ByteString.copyFromUtf8("FROM busybox\nRUN exit 3\n")))
                .addRanges(Range.newBuilder()
                        .setStart(Position.newBuilder().setLine(2))
                        .setEnd(Position.newBuilder().setLine(2)))
                .build();
        Vertex vertex = Vertex.newBuilder().setDigest("sha256:abc").build();

        StatusRuntimeException sent = SolveErrorDetails.withDetails(
                Status.UNKNOWN.withDescription("exit code: 3"), List.of(FAILED, source, vertex));

        assertThat(StatusProto.fromThrowable(sent).getDetailsList())
                .extracting(com.google.protobuf.Any::getTypeUrl)
                .containsExactly(
                        "github.com/moby/buildkit/errdefs.Solve+json",
                        "github.com/moby/buildkit/errdefs.Source+json",
                        "github.com/moby/buildkit/errdefs.Vertex+json");
        assertThat(StatusProto.fromThrowable(sent).getDetails(2).getValue().toStringUtf8())
                .isEqualTo("{\"digest\":\"sha256:abc\"}");
        assertThat(SolveErrorDetails.sourceOf(new RuntimeException("wrapped", sent)))
                .contains(source);
        assertThat(SolveErrorDetails.of(sent)).contains(FAILED);
    }

    @Test
    void aStatusWithoutTheDetailOrWithADamagedOneCarriesNoStep() {
        assertThat(SolveErrorDetails.of(Status.UNKNOWN.asRuntimeException())).isEmpty();
        com.google.rpc.Status damaged = com.google.rpc.Status.newBuilder()
                .setCode(2)
                .addDetails(com.google.protobuf.Any.newBuilder()
                        .setTypeUrl(SolveErrorDetails.TYPE_URL)
                        .setValue(com.google.protobuf.ByteString.copyFromUtf8("{not json")))
                .build();
        assertThat(SolveErrorDetails.of(StatusProto.toStatusRuntimeException(damaged)))
                .isEmpty();
    }
}
