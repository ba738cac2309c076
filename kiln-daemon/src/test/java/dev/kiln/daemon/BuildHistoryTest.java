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
    void aTornLastEntryIsAWarningAndTheEntriesBeforeItStay(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("history");
        BuildHistory history = open(file);
        history.completed(record("a", NOW));
        history.completed(record("b", NOW));
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 3));

        BuildHistory reopened = open(file);

        assertThat(refs(reopened)).containsExactly("a");
        assertThat(log.toString())
                .contains("warning: build history " + file + " ends in a torn entry after 1 whole ones");
        reopened.completed(record("c", NOW));
        assertThat(refs(open(file))).containsExactly("a", "c");
    }

    @Test
    void aBuildsEndAppendsToTheFileWhateverItHolds(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("history");
        BuildHistory history = open(file);
        for (int i = 0; i < 20; i++) {
            history.completed(record("build-" + i, NOW));
        }
        Object inode = Files.getAttribute(file, "unix:ino");
        long before = Files.size(file);

        history.completed(record("build-20", NOW));

        assertThat(Files.getAttribute(file, "unix:ino")).isEqualTo(inode);
        assertThat(Files.size(file) - before).isLessThan(before / 10);
        assertThat(refs(open(file))).hasSize(21).endsWith("build-19", "build-20");
    }

    @Test
    void pinsDeletionsAndReusedRefsReadBackAsTheyWere(@TempDir Path dir) {
        Path file = dir.resolve("history");
        BuildHistory history = open(file);
        history.completed(record("a", NOW.minusSeconds(3)));
        history.completed(record("b", NOW.minusSeconds(2)));
        history.completed(record("c", NOW.minusSeconds(1)));
        assertThat(history.pin("a", true)).isPresent();
        assertThat(history.delete("b")).isTrue();
        history.completed(record("c", NOW));

        BuildHistory reopened = open(file);

        assertThat(refs(reopened)).containsExactly("a", "c");
        try (BuildHistory.Listener listener = reopened.listen()) {
            assertThat(listener.finished().getFirst().getPinned()).isTrue();
            assertThat(listener.finished().getLast().getCompletedAt()).isEqualTo(WireTime.of(NOW));
        }
    }

    @Test
    void aFileOfMostlySupersededEntriesIsWrittenAnew(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("history");
        BuildHistory history = open(file);
        history.completed(record("kept", NOW));
        for (int i = 0; i < 200; i++) {
            history.completed(record("again", NOW.plusSeconds(i)));
        }

        long size = Files.size(file);
        long twoRecords = 2 * (long) record("again", NOW).getSerializedSize() + 2 * 8;
        assertThat(size).isLessThan(70 * twoRecords);
        assertThat(refs(open(file))).containsExactly("kept", "again");
    }

    @Test
    void aVersionOneFileLoadsAndIsWrittenAsVersionTwo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("history");
        var v1 = new ByteArrayOutputStream();
        v1.write("kiln-build-history 1\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        record("first", NOW.minusSeconds(1)).writeDelimitedTo(v1);
        record("second", NOW).writeDelimitedTo(v1);
        Files.write(file, v1.toByteArray());

        BuildHistory history = open(file);

        assertThat(refs(history)).containsExactly("first", "second");
        assertThat(Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1))
                .startsWith("kiln-build-history 2\n");
        history.completed(record("third", NOW));
        assertThat(refs(open(file))).containsExactly("first", "second", "third");
    }

    @Test
    void aFileOfSomethingElseIsAWarningAndAnEmptyHistory(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("history"), "{\"records\": []}\n");

        assertThat(refs(open(file))).isEmpty();
        assertThat(log.toString()).contains("does not start with kiln-build-history 2");
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
