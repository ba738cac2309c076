package dev.kiln.solver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheStoreTest {

    static final String KEY = "0123456789abcdef".repeat(4);
    static final String OTHER_KEY = "fedcba9876543210".repeat(4);

    @TempDir
    Path dir;

    static CacheRecord record(String name, String... ids) {
        return new CacheRecord(name, List.of(ids), Instant.parse("2025-06-01T12:00:00.123456789Z"));
    }

    @Test
    void storedRecordIsFoundByAStoreOpenedLater() throws Exception {
        var record = record("RUN make \"all\"\nwith a second line", "result-1", "result-2");
        new CacheStore(dir).store(KEY, record);

        var reopened = new CacheStore(dir);

        assertThat(reopened.lookup(KEY)).contains(record);
        assertThat(reopened.lookup(OTHER_KEY)).isEmpty();
    }

    @Test
    void storingAgainReplacesTheRecord() throws Exception {
        var store = new CacheStore(dir);
        store.store(KEY, record("old", "a"));
        store.store(KEY, record("new", "b"));

        assertThat(store.lookup(KEY)).contains(record("new", "b"));
        assertThat(new CacheStore(dir).lookup(KEY)).contains(record("new", "b"));
    }

    @Test
    void keysListsRecordsAndRemoveDeletesThem() throws Exception {
        var store = new CacheStore(dir);
        store.store(KEY, record("one", "a"));
        store.store(OTHER_KEY, record("two", "b"));
        Files.writeString(dir.resolve("README"), "not a record");

        assertThat(store.keys()).containsExactly(KEY, OTHER_KEY);

        assertThat(store.remove(KEY)).isTrue();
        assertThat(store.remove(KEY)).isFalse();
        assertThat(store.keys()).containsExactly(OTHER_KEY);
        assertThat(store.lookup(KEY)).isEmpty();
        assertThat(new CacheStore(dir).lookup(KEY)).isEmpty();
    }

    @Test
    void storeLeavesOnlyTheRecordFileBehind() throws Exception {
        new CacheStore(dir).store(KEY, record("one", "a"));

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly(KEY);
        }
    }

    @Test
    void truncatedRecordIsAMissAndIsRemoved() throws Exception {
        new CacheStore(dir).store(KEY, record("one", "a"));
        byte[] bytes = Files.readAllBytes(dir.resolve(KEY));
        Files.write(dir.resolve(KEY), java.util.Arrays.copyOf(bytes, bytes.length - 3));

        var reopened = new CacheStore(dir);

        assertThat(reopened.lookup(KEY)).isEmpty();
        assertThat(dir.resolve(KEY)).doesNotExist();
    }

    @Test
    void recordWithAFlippedByteIsAMiss() throws Exception {
        new CacheStore(dir).store(KEY, record("one", "abc"));
        byte[] bytes = Files.readAllBytes(dir.resolve(KEY));
        bytes[bytes.length - 12] ^= 0x20;
        Files.write(dir.resolve(KEY), bytes);

        assertThat(new CacheStore(dir).lookup(KEY)).isEmpty();
    }

    @Test
    void garbageAndEmptyFilesAreMisses() throws Exception {
        Files.writeString(dir.resolve(KEY), "{\"this\": \"is not a record\"}", StandardCharsets.UTF_8);
        Files.write(dir.resolve(OTHER_KEY), new byte[0]);
        var store = new CacheStore(dir);

        assertThat(store.lookup(KEY)).isEmpty();
        assertThat(store.lookup(OTHER_KEY)).isEmpty();
        assertThat(store.keys()).isEmpty();
    }

    @Test
    void recordCopiedUnderAnotherKeyIsNotBelieved() throws Exception {
        new CacheStore(dir).store(KEY, record("one", "a"));
        Files.copy(dir.resolve(KEY), dir.resolve(OTHER_KEY));

        assertThat(new CacheStore(dir).lookup(OTHER_KEY)).isEmpty();
    }

    @Test
    void keyThatIsNotASha256IsRejectedWithTheKeyInTheMessage() throws Exception {
        var store = new CacheStore(dir);

        assertThatThrownBy(() -> store.lookup("../../etc/passwd"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("../../etc/passwd");
        assertThatThrownBy(() -> store.store(KEY.toUpperCase(), record("x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void temporaryFilesOfCrashedWritersAreCleanedWhenOpening() throws Exception {
        Path crashed = Files.writeString(dir.resolve(".tmp-crashed"), "half a record");
        Files.setLastModifiedTime(crashed, FileTime.from(Instant.now().minus(Duration.ofDays(1))));
        Path writing = Files.writeString(dir.resolve(".tmp-writing"), "another process, mid-write");

        new CacheStore(dir);

        assertThat(crashed).doesNotExist();
        assertThat(writing).exists();
    }
}
