package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The lines a failure is about, as a frontend says them and a client finds them among the failure's causes. */
class SourceFrameTest {

    private static final SourceFrame.Lines OPEN_HEREDOC = new SourceFrame.Lines(
            "Dockerfile", "Dockerfile", "FROM scratch\nRUN <<EOF\necho hi\n".getBytes(StandardCharsets.UTF_8), 2, 3);

    /** A failure that says it is about {@code lines}, or about none. */
    private static final class InputError extends RuntimeException implements SourceFrame.Located {

        private final transient SourceFrame.Lines lines;

        InputError(SourceFrame.Lines lines) {
            super("unterminated heredoc");
            this.lines = lines;
        }

        @Override
        public Optional<SourceFrame.Lines> lines() {
            return Optional.ofNullable(lines);
        }
    }

    @Test
    void theLinesAreFoundInTheFirstCauseThatKnowsThem() {
        RuntimeException wrapped = new IllegalStateException("the build failed", new InputError(OPEN_HEREDOC));

        assertThat(SourceFrame.Located.in(wrapped)).contains(OPEN_HEREDOC);
        assertThat(SourceFrame.Located.in(new IllegalStateException("outer", new InputError(null))))
                .isEmpty();
        assertThat(SourceFrame.Located.in(new IllegalStateException("no lines")))
                .isEmpty();
    }

    @Test
    void linesCountFromOneAndEndAtOrAfterTheirStart() {
        byte[] data = "FROM scratch\n".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> new SourceFrame.Lines("Dockerfile", "Dockerfile", data, 0, 0))
                .hasMessage("lines 0 to 0 of Dockerfile");
        assertThatThrownBy(() -> new SourceFrame.Lines("Dockerfile", "Dockerfile", data, 3, 2))
                .hasMessage("lines 3 to 2 of Dockerfile");
    }

    @Test
    void theFilesBytesAreTheLinesOwn() {
        byte[] data = "FROM scratch\n".getBytes(StandardCharsets.UTF_8);
        SourceFrame.Lines lines = new SourceFrame.Lines("Dockerfile", "Dockerfile", data, 1, 1);

        data[0] = 'X';
        lines.data()[1] = 'Y';

        assertThat(lines.data()).asString(StandardCharsets.UTF_8).isEqualTo("FROM scratch\n");
    }
}
