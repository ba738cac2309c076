package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.control.BuildHistoryRecord;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's build records in their file: bounded as buildkitd bounds them, and never a reason not to start. */
class BuildHistoryTest {

    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @Test
    void recordsBeyondTheNewestFiftyGoWhenOlderThanTwoDaysUnlessPinned(@TempDir Path dir) {
        Path file = dir.resolve("history");
        BuildHistory history = open(file);
        history.completed(record("pinned-old", NOW.minus(Duration.ofDays(9))).toBuilder()
                .setPinned(true)
                .build());
        history.completed(record("old", NOW.minus(Duration.ofDays(3))));
        history.completed(record("recent", NOW.minus(Duration.ofHours(47))));
        for (int i = 0; i < BuildHistory.MAX_ENTRIES - 2; i++) {
            history.completed(record("new-" + i, NOW.minusSeconds(i)));
        }
        assertThat(refs(history)).contains("old", "recent", "pinned-old");

        history.completed(record("newest", NOW));

        assertThat(refs(history))
                .hasSize(BuildHistory.MAX_ENTRIES + 1)
                .doesNotContain("old")
                .contains("recent", "pinned-old", "newest");
        assertThat(refs(open(file))).containsExactlyInAnyOrderElementsOf(refs(history));
    }

    @Test
    void aTornFileIsAWarningAndAnEmptyHistory(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("history");
        BuildHistory history = open(file);
        history.completed(record("a", NOW));
        history.completed(record("b", NOW));
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 3));

        assertThat(refs(open(file))).isEmpty();
        assertThat(log.toString()).contains("warning: build history " + file + " is unreadable");
    }

    @Test
    void aFileOfSomethingElseIsAWarningAndAnEmptyHistory(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("history"), "{\"records\": []}\n");

        assertThat(refs(open(file))).isEmpty();
        assertThat(log.toString()).contains("does not start with kiln-build-history 1");
    }

    private BuildHistory open(Path file) {
        return BuildHistory.open(file, new PrintStream(log, true), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private static java.util.List<String> refs(BuildHistory history) {
        try (BuildHistory.Listener listener = history.listen()) {
            return listener.finished().stream().map(BuildHistoryRecord::getRef).toList();
        }
    }

    private static BuildHistoryRecord record(String ref, Instant completed) {
        return BuildHistoryRecord.newBuilder()
                .setRef(ref)
                .setCreatedAt(WireTime.of(completed.minusSeconds(1)))
                .setCompletedAt(WireTime.of(completed))
                .build();
    }
}
