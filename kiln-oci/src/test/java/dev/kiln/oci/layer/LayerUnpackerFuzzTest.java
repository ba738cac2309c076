package dev.kiln.oci.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.core.Trees;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Any bytes as a layer blob (plain, gzip or zstd tar, told by the magic bytes as for a pulled layer): unpacking
 * into an empty directory either succeeds or stops with an IOException that says why, and whatever the entries
 * (names with "..", symlinks out, hard links to elsewhere), nothing outside the directory is written: a sibling
 * directory with a canary file, the directory above and "/" stay as they were. Seeds: small layers with one of
 * each entry kind, pax and GNU extensions, whiteouts, compressed forms and the escapes LayerSafetyTest refuses.
 */
class LayerUnpackerFuzzTest {
    private static final byte[] CANARY = "canary".getBytes(StandardCharsets.UTF_8);
    private static final AtomicLong RUNS = new AtomicLong();
    private static Path root;
    private static List<String> rootNames;

    @FuzzTest
    void apply(byte[] blob) throws IOException {
        Path sandbox = Files.createDirectory(root().resolve("run-" + RUNS.incrementAndGet()));
        try {
            Path target = Files.createDirectory(sandbox.resolve("target"));
            Path outside = Files.createDirectory(sandbox.resolve("outside"));
            Files.write(outside.resolve("canary"), CANARY);
            try {
                LayerUnpacker.apply(new ByteArrayInputStream(blob), target);
            } catch (IOException e) {
                assertThat(e.getMessage()).as("message of %s", e).isNotBlank();
            }
            assertThat(Trees.names(sandbox)).containsExactly("outside", "target");
            assertThat(Trees.names(outside)).containsExactly("canary");
            assertThat(Files.isDirectory(outside, LinkOption.NOFOLLOW_LINKS)).isTrue();
            assertThat(Files.readAllBytes(outside.resolve("canary"))).isEqualTo(CANARY);
            assertThat(Trees.names(root)).containsExactly(sandbox.getFileName().toString());
            assertThat(Trees.names(Path.of("/"))).isEqualTo(rootNames);
        } finally {
            Trees.deleteRecursively(sandbox);
        }
    }

    /** One directory for the whole run, next to nothing else, so a write beside a sandbox shows. */
    private static synchronized Path root() throws IOException {
        if (root == null) {
            root = Files.createTempDirectory("kiln-layer-fuzz");
            root.toFile().deleteOnExit();
            rootNames = Trees.names(Path.of("/"));
        }
        return root;
    }
}
