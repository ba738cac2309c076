package dev.kiln.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kiln.api.SolveErrorDetails;
import dev.kiln.api.errdefs.Source;
import dev.kiln.core.SourceFrame;
import dev.kiln.gateway.GatewayException;
import dev.kiln.llb.pb.Position;
import dev.kiln.llb.pb.Range;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The error a frontend that runs outside the engine returns through the LLB bridge: its message, and the details a
 * client draws the failure's lines from, as Go's frontends return them.
 */
class LlbBridgeClientErrorTest {

    private static final String DOCKERFILE = "FROM scratch\nRUN <<EOF\necho hi\n";

    /** An error in the frontend's input, as a frontend that knows the file's lines raises it. */
    private static final class InputError extends RuntimeException implements SourceFrame.Located {

        InputError(String message) {
            super(message);
        }

        @Override
        public Optional<SourceFrame.Lines> lines() {
            return Optional.of(new SourceFrame.Lines(
                    "app.Dockerfile", "Dockerfile", DOCKERFILE.getBytes(StandardCharsets.UTF_8), 2, 3));
        }
    }

    @Test
    void aFrontendErrorThatNamesItsLinesReturnsThemAsErrdefsSourceOneRangeALine() {
        com.google.rpc.Status returned = LlbBridgeClient.errorStatus(
                new GatewayException("unterminated heredoc", new InputError("unterminated heredoc")));

        assertThat(returned.getCode()).isEqualTo(Status.Code.UNKNOWN.value());
        assertThat(returned.getMessage()).isEqualTo("unterminated heredoc");
        assertThat(sourceOf(returned)).hasValueSatisfying(source -> {
            assertThat(source.getInfo().getFilename()).isEqualTo("app.Dockerfile");
            assertThat(source.getInfo().getLanguage()).isEqualTo("Dockerfile");
            assertThat(source.getInfo().getData().toStringUtf8()).isEqualTo(DOCKERFILE);
            assertThat(source.getRangesList()).containsExactly(line(2), line(3));
        });
    }

    @Test
    void anEngineFailuresDetailsAreReturnedAsTheEngineSentThem() {
        Source step = Source.newBuilder()
                .setInfo(dev.kiln.llb.pb.SourceInfo.newBuilder()
                        .setFilename("Dockerfile")
                        .setData(ByteString.copyFromUtf8("FROM busybox\nRUN exit 3\n")))
                .addRanges(line(2))
                .build();
        String message = "process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3";
        GatewayException solveFailed = new GatewayException(
                message, SolveErrorDetails.withDetails(Status.UNKNOWN.withDescription(message), List.of(step)));

        com.google.rpc.Status returned = LlbBridgeClient.errorStatus(solveFailed);

        assertThat(returned.getMessage()).isEqualTo(message);
        assertThat(sourceOf(returned)).contains(step);
    }

    @Test
    void aFailureThatNamesNoLinesIsItsMessageAlone() {
        com.google.rpc.Status returned = LlbBridgeClient.errorStatus(new GatewayException("no such stage: build"));

        assertThat(returned.getMessage()).isEqualTo("no such stage: build");
        assertThat(returned.getDetailsList()).isEmpty();
    }

    private static Optional<Source> sourceOf(com.google.rpc.Status returned) {
        return SolveErrorDetails.sourceOf(StatusProto.toStatusRuntimeException(returned));
    }

    private static Range line(int line) {
        Position at = Position.newBuilder().setLine(line).build();
        return Range.newBuilder().setStart(at).setEnd(at).build();
    }
}
