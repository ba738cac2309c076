package dev.kiln.engine.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kiln.core.SourceFrame;
import dev.kiln.llb.pb.Position;
import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The Dockerfile lines of a failed step, framed as buildctl prints BuildKit's errdefs.Source. */
class FailedSourceTest {

    private static final SourceInfo DOCKERFILE = SourceInfo.newBuilder()
            .setFilename("Dockerfile")
            .setData(ByteString.copyFromUtf8(
                    "FROM busybox\nWORKDIR /src\nCOPY . .\nRUN <<EOF\nmake\nEOF\nRUN make test\nCMD [\"app\"]\n"))
            .build();

    private static Range lines(int start, int end) {
        return Range.newBuilder()
                .setStart(Position.newBuilder().setLine(start))
                .setEnd(Position.newBuilder().setLine(end))
                .build();
    }

    @Test
    void oneLineIsMarkedWithFourLinesAroundItTakenFromEitherSide() {
        assertThat(new FailedSource(DOCKERFILE, List.of(lines(7, 7))).framed()).isEqualTo("""
                Dockerfile:7
                --------------------
                   5 |     make
                   6 |     EOF
                   7 | >>> RUN make test
                   8 |     CMD ["app"]
                   9 |    \s
                --------------------
                """);
    }

    @Test
    void aHeredocsLinesAreAllMarkedWithTwoLinesAroundThem() {
        assertThat(new FailedSource(DOCKERFILE, List.of(lines(4, 6))).framed()).isEqualTo("""
                Dockerfile:4
                --------------------
                   3 |     COPY . .
                   4 | >>> RUN <<EOF
                   5 | >>> make
                   6 | >>> EOF
                   7 |     RUN make test
                --------------------
                """);
    }

    @Test
    void aRangeOutsideTheFileDrawsNothing() {
        assertThat(new FailedSource(DOCKERFILE, List.of(lines(40, 41))).framed())
                .isEmpty();
        assertThat(new FailedSource(DOCKERFILE, List.of()).framed()).isEmpty();
    }

    @Test
    void aFrontendsErrorIsReadAsBuildKitsFrontendSendsItOneRangeALine() {
        RuntimeException failure = new IllegalStateException("build failed", new HeredocError());

        assertThat(FailedSource.in(failure)).hasValueSatisfying(source -> {
            assertThat(source.info().getFilename()).isEqualTo("Dockerfile");
            assertThat(source.info().getLanguage()).isEqualTo("Dockerfile");
            assertThat(source.info().getData()).isEqualTo(DOCKERFILE.getData());
            assertThat(source.ranges()).containsExactly(lines(4, 4), lines(5, 5), lines(6, 6));
            assertThat(source.lines()).hasValueSatisfying(lines -> {
                assertThat(List.of(lines.filename(), lines.first(), lines.last()))
                        .containsExactly("Dockerfile", 4, 6);
                assertThat(lines.data()).isEqualTo(HEREDOC.data());
            });
        });
    }

    private static final SourceFrame.Lines HEREDOC = new SourceFrame.Lines(
            "Dockerfile", "Dockerfile", DOCKERFILE.getData().toByteArray(), 4, 6);

    /** An error in a Dockerfile's heredoc, as a frontend that knows nothing of the engine raises it. */
    private static final class HeredocError extends RuntimeException implements SourceFrame.Located {

        HeredocError() {
            super("a heredoc's lines");
        }

        @Override
        public Optional<SourceFrame.Lines> lines() {
            return Optional.of(HEREDOC);
        }
    }
}
