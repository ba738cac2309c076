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
    void secondsAreWrittenAsFormatWritesThem() {
        java.util.Random random = new java.util.Random(19);
        for (int i = 0; i < 2_000; i++) {
            long nanos =
                    i < 1_000 ? random.nextLong(2_000_000_000L) : random.nextLong(-50_000_000_000L, 500_000_000_000L);
            if (nanos % 500_000 == 0) {
                continue; // an exact half: the double's binary value, not the nanoseconds, decides how format rounds
            }
            for (int places : new int[] {1, 3}) {
                assertThat(PlainProgress.decimalSeconds(nanos, places))
                        .as("%d ns to %d places", nanos, places)
                        .isEqualTo(String.format(java.util.Locale.ROOT, "%." + places + "f", nanos / 1e9));
            }
        }
        assertThat(PlainProgress.decimalSeconds(0, 3)).isEqualTo("0.000");
        assertThat(PlainProgress.decimalSeconds(1_250_000_000L, 1)).isEqualTo("1.3");
        assertThat(PlainProgress.decimalSeconds(-40_000_000L, 1)).isEqualTo("-0.0");
        assertThat(PlainProgress.seconds(java.time.Duration.ofMillis(61_949))).isEqualTo("61.9s");
    }

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
