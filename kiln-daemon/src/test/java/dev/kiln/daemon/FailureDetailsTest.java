package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.kiln.api.SolveErrorDetails;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.session.FileSyncService;
import dev.kiln.api.session.SessionTunnel;
import dev.kiln.engine.gateway.FailedSource;
import dev.kiln.gateway.GatewayException;
import dev.kiln.llb.pb.Position;
import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure's status: its message, and its source for a client to draw when the failure knows its lines; through a
 * real daemon, a Dockerfile that does not parse fails its Solve with BuildKit's message and the file's lines.
 */
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
                List.of(lines(2, 2)));
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

    @Test
    void aDockerfileThatDoesNotParseFailsTheSolveWithBuildKitsMessageAndTheFilesLines(@TempDir Path dir)
            throws Exception {
        String dockerfile = "FROM scratch\nRUN true\nFRON x\nCOPY a /b\n";
        try (DaemonFixture daemon = new DaemonFixture(dir.resolve("daemon"))) {
            StatusRuntimeException failure =
                    solveDockerfile(daemon, dir.resolve("named"), "app.Dockerfile", dockerfile);

            assertThat(failure.getStatus().getDescription())
                    .isEqualTo("dockerfile parse error on line 3: unknown instruction: FRON (did you mean FROM?)");
            assertThat(SolveErrorDetails.sourceOf(failure)).hasValueSatisfying(source -> {
                assertThat(source.getInfo().getFilename()).isEqualTo("app.Dockerfile");
                assertThat(source.getInfo().getLanguage()).isEqualTo("Dockerfile");
                assertThat(source.getInfo().getData().toStringUtf8()).isEqualTo(dockerfile);
                assertThat(source.getRangesList()).containsExactly(lines(3, 3));
            });

            // a parser's error is its reason alone, as BuildKit's; an unterminated heredoc marks each of its lines
            StatusRuntimeException heredoc =
                    solveDockerfile(daemon, dir.resolve("heredoc"), "Dockerfile", "FROM scratch\nRUN <<EOF\necho hi\n");
            assertThat(heredoc.getStatus().getDescription()).isEqualTo("unterminated heredoc");
            assertThat(SolveErrorDetails.sourceOf(heredoc)).hasValueSatisfying(source -> {
                assertThat(source.getInfo().getFilename()).isEqualTo("Dockerfile");
                assertThat(source.getRangesList()).containsExactly(lines(2, 2), lines(3, 3));
            });
        }
    }

    /**
     * A Control.Solve of the Dockerfile frontend, as buildctl sends one, of {@code dockerfile} written as
     * {@code filename} in {@code dir}, which the client's session serves as the context and the Dockerfile's
     * directory; the status it fails with.
     */
    private static StatusRuntimeException solveDockerfile(
            DaemonFixture daemon, Path dir, String filename, String dockerfile) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(filename), dockerfile);
        String sessionId = UUID.randomUUID().toString();
        try (SessionTunnel session = SessionTunnel.open(
                daemon.controlAsync(),
                sessionId,
                "test",
                "",
                List.of(new FileSyncService(Map.of("context", dir, "dockerfile", dir))))) {
            SolveRequest request = SolveRequest.newBuilder()
                    .setRef("parse-" + UUID.randomUUID())
                    .setSession(sessionId)
                    .setFrontend("dockerfile.v0")
                    .putFrontendAttrs("filename", filename)
                    .build();
            return catchThrowableOfType(
                    StatusRuntimeException.class,
                    () -> daemon.control()
                            .withDeadlineAfter(120, TimeUnit.SECONDS)
                            .solve(request));
        }
    }

    private static Range lines(int start, int end) {
        return Range.newBuilder()
                .setStart(Position.newBuilder().setLine(start))
                .setEnd(Position.newBuilder().setLine(end))
                .build();
    }
}
