package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.control.StatusResponse;
import dev.kiln.api.control.VertexLog;
import dev.kiln.solver.ProgressEvent;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The progress a daemon keeps for Status readers: whole vertex states, and logs capped per step. */
class StatusFeedTest {

    @Test
    void aStepThatPrintsMoreThanTheLimitKeepsTheLimitAndSaysItWasClipped() throws Exception {
        StatusFeed feed = new StatusFeed();
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'x');
        for (int i = 0; i < 64; i++) { // 4 MiB
            feed.onEvent(new ProgressEvent.VertexLog("sha256:a", "RUN yes", Instant.now(), 1, chunk));
        }
        feed.onEvent(new ProgressEvent.VertexLog("sha256:b", "RUN echo", Instant.now(), 1, "other step\n".getBytes()));
        feed.finish();

        List<StatusResponse> updates = feed.next(0, 1000);
        long kept = updates.stream()
                .flatMap(u -> u.getLogsList().stream())
                .filter(l -> l.getVertex().equals("sha256:a"))
                .mapToLong(l -> l.getMsg().size())
                .sum();
        String last = updates.stream()
                .flatMap(u -> u.getLogsList().stream())
                .filter(l -> l.getVertex().equals("sha256:a"))
                .reduce((a, b) -> b)
                .map(VertexLog::getMsg)
                .orElseThrow()
                .toStringUtf8();

        assertThat(kept).isBetween(StatusFeed.LOG_LIMIT, StatusFeed.LOG_LIMIT + 100);
        assertThat(last).endsWith("[output clipped: a step's log is kept up to 2 MiB]\n");
        assertThat(updates.stream().flatMap(u -> u.getLogsList().stream()))
                .anySatisfy(l -> assertThat(l.getMsg().toStringUtf8()).isEqualTo("other step\n"));
    }

    @Test
    void eachVertexUpdateCarriesTheWholeStateOfItsVertex() throws Exception {
        StatusFeed feed = new StatusFeed();
        Instant start = Instant.parse("2026-12-06T10:00:00Z");
        feed.onEvent(new ProgressEvent.VertexStarted("sha256:a", "RUN make", start));
        feed.onEvent(new ProgressEvent.VertexFailed("sha256:a", "RUN make", start.plusSeconds(2), "exit code: 2"));
        feed.finish();

        StatusResponse last = feed.next(0, 1000).getLast();

        assertThat(last.getVertexes(0).getName()).isEqualTo("RUN make");
        assertThat(last.getVertexes(0).getStarted().getSeconds()).isEqualTo(start.getEpochSecond());
        assertThat(last.getVertexes(0).getError()).isEqualTo("exit code: 2");
    }
}
