package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kiln.api.SolveErrorDetails;
import dev.kiln.engine.gateway.FailedSource;
import dev.kiln.gateway.GatewayException;
import dev.kiln.llb.pb.Position;
import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A failure's status: its message, and its source for a client to draw when the failure knows its lines. */
class FailureDetailsTest {

    /** An error in a Dockerfile itself, as a frontend that knows the file's lines raises it. */
    private static final class DockerfileError extends RuntimeException implements FailedSource.Located {

        private final FailedSource source;

        DockerfileError(String message, FailedSource source) {
            super(message);
            this.source = source;
        }

        @Override
        public Optional<FailedSource> source() {
            return Optional.of(source);
        }
    }

    @Test
    void aFailureThatKnowsItsLinesSendsThemAsErrdefsSource() {
        FailedSource lines = new FailedSource(
                SourceInfo.newBuilder()
                        .setFilename("Dockerfile")
                        .setData(ByteString.copyFromUtf8("FROM busybox\nFOOBAR nonsense\n"))
                        .build(),
                List.of(Range.newBuilder()
                        .setStart(Position.newBuilder().setLine(2))
                        .setEnd(Position.newBuilder().setLine(2))
                        .build()));
        String message = "dockerfile parse error on line 2: unknown instruction: FOOBAR";

        StatusRuntimeException status =
                FailureDetails.status(new GatewayException(message, new DockerfileError(message, lines)));

        assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN);
        assertThat(status.getStatus().getDescription()).isEqualTo(message);
        assertThat(SolveErrorDetails.sourceOf(status)).hasValueSatisfying(source -> {
            assertThat(source.getInfo()).isEqualTo(lines.info());
            assertThat(source.getRangesList()).isEqualTo(lines.ranges());
        });
    }

    @Test
    void aFailureWithoutLinesOrStepIsItsMessageAlone() {
        StatusRuntimeException status = FailureDetails.status(new GatewayException("no such stage: build"));

        assertThat(status.getStatus().getDescription()).isEqualTo("no such stage: build");
        assertThat(StatusProto.fromThrowable(status).getDetailsList()).isEmpty();
    }
}
