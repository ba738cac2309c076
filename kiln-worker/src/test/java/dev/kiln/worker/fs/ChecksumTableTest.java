package dev.kiln.worker.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumTableTest {

    private record Stored(long size, long modified, long inode, long changed, byte[] digest) {}

    private static byte[] digest(int seed) {
        byte[] digest = new byte[32];
        new Random(seed).nextBytes(digest);
        return digest;
    }

    @Test
    void answersOnlyForTheSameKey() {
        ChecksumTable table = new ChecksumTable();
        table.put("/ctx/src/main.c", 10, 20, 30, 40, digest(1));

        assertThat(table.digestIfSame("/ctx/src/main.c", 10, 20, 30, 40)).isEqualTo(digest(1));
        assertThat(table.digestIfSame("/ctx/src/main.c", 11, 20, 30, 40)).isNull();
        assertThat(table.digestIfSame("/ctx/src/main.c", 10, 21, 30, 40)).isNull();
        assertThat(table.digestIfSame("/ctx/src/main.c", 10, 20, 31, 40)).isNull();
        assertThat(table.digestIfSame("/ctx/src/main.c", 10, 20, 30, 41)).isNull();
        assertThat(table.digestIfSame("/ctx/src/util.c", 10, 20, 30, 40)).isNull();
        assertThat(table.digestIfSame("/ctx/main.c", 10, 20, 30, 40)).isNull();
    }

    @Test
    void aNewKeyReplacesTheOld() {
        ChecksumTable table = new ChecksumTable();
        table.put("/a/b", 1, 1, 1, 1, digest(1));
        table.put("/a/b", 2, 2, 2, 2, digest(2));

        assertThat(table.size()).isEqualTo(1);
        assertThat(table.digestIfSame("/a/b", 1, 1, 1, 1)).isNull();
        assertThat(table.digestIfSame("/a/b", 2, 2, 2, 2)).isEqualTo(digest(2));
    }

    @Test
    void theDigestHandedOutIsACopy() {
        ChecksumTable table = new ChecksumTable();
        table.put("/a/b", 1, 1, 1, 1, digest(1));
        table.digestIfSame("/a/b", 1, 1, 1, 1)[0] ^= 1;

        assertThat(table.digestIfSame("/a/b", 1, 1, 1, 1)).isEqualTo(digest(1));
    }

    @Test
    void refusesADigestOfAnotherLength() {
        assertThatThrownBy(() -> new ChecksumTable().put("/a", 1, 1, 1, 1, new byte[20]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes, not 20");
    }

    @Test
    void removesADirectoryAndWhatIsUnderItButNotItsNamesakes() {
        ChecksumTable table = new ChecksumTable();
        table.put("/layers/abc", 1, 1, 1, 1, digest(1));
        table.put("/layers/abc/fs/one", 1, 1, 1, 1, digest(2));
        table.put("/layers/abc/fs/deep/two", 1, 1, 1, 1, digest(3));
        table.put("/layers/abcd/fs/one", 1, 1, 1, 1, digest(4));
        table.put("/layers/other", 1, 1, 1, 1, digest(5));

        assertThat(table.removeUnder("/layers/abc")).isTrue();
        assertThat(table.removeUnder("/layers/abc")).isFalse();

        assertThat(table.size()).isEqualTo(2);
        assertThat(table.digestIfSame("/layers/abcd/fs/one", 1, 1, 1, 1)).isEqualTo(digest(4));
        assertThat(table.digestIfSame("/layers/other", 1, 1, 1, 1)).isEqualTo(digest(5));
        assertThat(table.digestIfSame("/layers/abc/fs/one", 1, 1, 1, 1)).isNull();
    }

    @Test
    void pathsWithoutADirectoryAndWithOtherScriptsRoundTrip() throws Exception {
        ChecksumTable table = new ChecksumTable();
        table.put("relative", 1, 1, 1, 1, digest(1));
        table.put("/", 2, 2, 2, 2, digest(2));
        table.put("/données/café ☕", 3, 3, 3, 3, digest(3));
        Map<String, Long> seen = new HashMap<>();
        table.forEach((path, size, modified, inode, changed, digest) -> seen.put(path, size));

        assertThat(seen).containsOnly(Map.entry("relative", 1L), Map.entry("/", 2L), Map.entry("/données/café ☕", 3L));
        assertThat(table.digestIfSame("/données/café ☕", 3, 3, 3, 3)).isEqualTo(digest(3));
    }

    /**
     * Many puts and removes in a random order against a plain map: the table grows and rehashes, removals shift
     * later entries of a probe run back and move the last entry into the freed place, and every path still finds its
     * own entry.
     */
    @Test
    void agreesWithAMapOverManyRandomChanges() throws Exception {
        ChecksumTable table = new ChecksumTable();
        Map<String, Stored> model = new HashMap<>();
        Random random = new Random(13);
        for (int step = 0; step < 60_000; step++) {
            String path = "/ctx/pkg" + random.nextInt(20) + "/mod" + random.nextInt(25) + "/file" + random.nextInt(20);
            if (random.nextInt(3) == 0) {
                assertThat(table.remove(path)).isEqualTo(model.remove(path) != null);
            } else {
                Stored stored = new Stored(step, step * 3L, random.nextLong(), step + 7L, digest(step));
                table.put(path, stored.size(), stored.modified(), stored.inode(), stored.changed(), stored.digest());
                model.put(path, stored);
            }
            if (step % 5_000 == 0 && random.nextBoolean()) {
                String dir = "/ctx/pkg" + random.nextInt(20);
                boolean any = model.keySet().removeIf(p -> p.startsWith(dir + "/"));
                assertThat(table.removeUnder(dir)).isEqualTo(any);
            }
        }

        assertThat(table.size()).isEqualTo(model.size());
        for (Map.Entry<String, Stored> entry : model.entrySet()) {
            Stored s = entry.getValue();
            assertThat(table.digestIfSame(entry.getKey(), s.size(), s.modified(), s.inode(), s.changed()))
                    .as(entry.getKey())
                    .isEqualTo(s.digest());
        }
        Map<String, Long> listed = new HashMap<>();
        table.forEach((path, size, modified, inode, changed, digest) -> listed.put(path, size));
        assertThat(listed).hasSize(model.size());
        model.forEach((path, stored) -> assertThat(listed).containsEntry(path, stored.size()));
    }
}
