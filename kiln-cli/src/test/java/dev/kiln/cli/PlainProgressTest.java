package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.solver.ProgressEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PlainProgressTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PlainProgress plain = new PlainProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    private final Instant start = Instant.parse("2026-12-07T10:00:00Z");

    @Test
    void aFailedStepsLastTenLinesFollowTheProgressOnceItIsClosed() {
        plain.onEvent(new ProgressEvent.VertexStarted("sha256:a", "[2/2] RUN make", start));
        StringBuilder output = new StringBuilder();
        for (int i = 1; i <= 12; i++) {
            output.append("line ").append(i).append('\n');
        }
        plain.onEvent(new ProgressEvent.VertexLog(
                "sha256:a",
                "[2/2] RUN make",
                start.plusMillis(250),
                1,
                output.append("no newline").toString().getBytes(StandardCharsets.UTF_8)));
        plain.onEvent(new ProgressEvent.VertexFailed("sha256:a", "[2/2] RUN make", start, "exit code: 2"));

        plain.close();
        plain.close();

        String text = bytes.toString(StandardCharsets.UTF_8);
        StringBuilder lastTen = new StringBuilder();
        for (int i = 4; i <= 12; i++) {
            lastTen.append("0\\.250 line ").append(i).append("\\n");
        }
        assertThat(text).contains("#1 0.250 line 1\n");
        assertThat(text)
                .as("the ERROR line, then the last ten lines (the unfinished one last) between ------ lines, once")
                .containsPattern("#1 ERROR: exit code: 2\\n------\\n > \\[2/2\\] RUN make:\\n" + lastTen
                        + "\\d+\\.\\d{3} no newline\\n------\\n$")
                .containsOnlyOnce(" > [2/2] RUN make:");
    }

    @Test
    void aCancelledStepIsNotShownAgain() {
        plain.onEvent(new ProgressEvent.VertexStarted("sha256:b", "[1/1] RUN sleep 60", start));
        plain.onEvent(new ProgressEvent.VertexLog(
                "sha256:b", "[1/1] RUN sleep 60", start, 1, "waiting\n".getBytes(StandardCharsets.UTF_8)));
        plain.onEvent(new ProgressEvent.VertexFailed("sha256:b", "[1/1] RUN sleep 60", start, ProgressEvent.CANCELLED));

        plain.close();

        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .contains("#1 CANCELED")
                .doesNotContain("------");
    }
}
