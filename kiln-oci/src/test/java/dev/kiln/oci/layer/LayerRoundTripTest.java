package dev.kiln.oci.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LayerRoundTripTest {
    private static final Instant CLAMP = Instant.parse("2020-01-01T00:00:00Z");

    @TempDir
    Path temp;

    @ParameterizedTest
    @EnumSource(LayerCompression.class)
    void roundTripKeepsModesOwnersTimesLinksXattrsWhiteoutsAndOpaqueDirs(LayerCompression compression)
            throws IOException {
        Path source = Files.createDirectory(temp.resolve("source"));
        LayerTrees.populate(source);
        byte[] blob = write(source, LayerWriteOptions.defaults().withCompression(compression));

        Path unpacked = Files.createDirectory(temp.resolve("unpacked"));
        AppliedLayer applied =
                LayerUnpacker.apply(new ByteArrayInputStream(blob), compression.ociMediaType(), unpacked);

        SortedMap<String, String> expected = LayerTrees.describe(source);
        assertThat(LayerTrees.describe(unpacked)).containsExactlyEntriesOf(expected);
        assertThat(expected.get("bin/tool")).startsWith("file 4755 0:0");
        assertThat(expected.get("etc/removed")).startsWith("char 0 0:0").contains(" 0:0");
        assertThat(expected.get("var/cache")).contains("trusted.overlay.opaque=79");
        assertThat(expected.get("bin/libx-link")).endsWith("inode-of=bin/libx-link");
        assertThat(expected.get("usr/lib/libx.so")).endsWith("inode-of=bin/libx-link");
        assertThat(applied.compression()).isEqualTo(compression);
        assertThat(applied.skippedDevices()).isZero();
        assertThat(applied.warnings()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(LayerCompression.class)
    void digestsDescribeTheBlobAndItsUncompressedTar(LayerCompression compression) throws IOException {
        Path source = Files.createDirectory(temp.resolve("source"));
        LayerTrees.populate(source);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WrittenLayer written =
                LayerWriter.write(source, out, LayerWriteOptions.defaults().withCompression(compression));
        byte[] blob = out.toByteArray();

        assertThat(written.digest().toString()).isEqualTo(LayerTrees.sha(blob));
        assertThat(written.size()).isEqualTo(blob.length);
        assertThat(written.diffId().toString()).isEqualTo(LayerTrees.sha(decompress(blob, compression)));
        assertThat(written.mediaType()).isEqualTo(compression.ociMediaType());

        AppliedLayer applied =
                LayerUnpacker.apply(new ByteArrayInputStream(blob), Files.createDirectory(temp.resolve("unpacked")));
        assertThat(applied.diffId()).isEqualTo(written.diffId());
        assertThat(applied.digest()).isEqualTo(written.digest());
        assertThat(applied.size()).isEqualTo(written.size());
    }

    @ParameterizedTest
    @EnumSource(LayerCompression.class)
    void sameDirectoryWrittenTwiceWithTheSameClampGivesIdenticalBlobs(LayerCompression compression) throws IOException {
        Path source = Files.createDirectory(temp.resolve("source"));
        LayerTrees.populate(source);
        LayerWriteOptions options =
                LayerWriteOptions.defaults().withCompression(compression).withClamp(CLAMP);

        byte[] first = write(source, options);
        byte[] second = write(source, options);

        assertThat(second).isEqualTo(first);
    }

    @ParameterizedTest
    @EnumSource(LayerCompression.class)
    void clampMakesTheBlobIndependentOfWhenFilesWereLastTouched(LayerCompression compression) throws IOException {
        Path source = Files.createDirectory(temp.resolve("source"));
        LayerTrees.populate(source);
        byte[] layer = write(source, LayerWriteOptions.defaults());
        Path monday = Files.createDirectory(temp.resolve("monday"));
        Path tuesday = Files.createDirectory(temp.resolve("tuesday"));
        LayerUnpacker.apply(new ByteArrayInputStream(layer), monday);
        LayerUnpacker.apply(new ByteArrayInputStream(layer), tuesday);
        touchEverything(monday, Instant.parse("2024-06-03T09:00:00Z"));
        touchEverything(tuesday, Instant.parse("2024-06-04T17:30:00.25Z"));

        LayerWriteOptions options =
                LayerWriteOptions.defaults().withCompression(compression).withClamp(CLAMP);
        assertThat(write(tuesday, options)).isEqualTo(write(monday, options));
    }

    @Test
    void clampBoundsLaterMtimesAndKeepsEarlierOnes() throws IOException {
        Path source = Files.createDirectory(temp.resolve("source"));
        LayerTrees.file(source, "old", "old", 0644, 0, 0);
        LayerTrees.file(source, "new", "new", 0644, 0, 0);
        LayerTrees.time(source.resolve("old"), Instant.parse("2010-05-06T07:08:09Z"));
        LayerTrees.time(source.resolve("new"), Instant.parse("2030-01-01T00:00:00Z"));

        Path unpacked = Files.createDirectory(temp.resolve("unpacked"));
        LayerUnpacker.apply(
                new ByteArrayInputStream(
                        write(source, LayerWriteOptions.defaults().withClamp(CLAMP))),
                unpacked);

        assertThat(Files.getLastModifiedTime(unpacked.resolve("old")).toInstant())
                .isEqualTo(Instant.parse("2010-05-06T07:08:09Z"));
        assertThat(Files.getLastModifiedTime(unpacked.resolve("new")).toInstant())
                .isEqualTo(CLAMP);
    }

    @Test
    void tarListsEntriesInNameOrderWithWhiteoutFilesAndNoOwnerNames() throws IOException {
        Path source = Files.createDirectory(temp.resolve("source"));
        LayerTrees.populate(source);
        byte[] tar = write(source, LayerWriteOptions.defaults().withCompression(LayerCompression.NONE));

        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                names.add(entry.getName());
                assertThat(entry.getUserName()).isEmpty();
                assertThat(entry.getGroupName()).isEmpty();
                assertThat(entry.getLastAccessTime()).isNull();
                assertThat(entry.getStatusChangeTime()).isNull();
                if (entry.getName().equals("bin/ping")) {
                    assertThat(entry.getExtraPaxHeaders()).containsKey("SCHILY.xattr.security.capability");
                }
                if (entry.getName().equals("usr/lib/libx.so") || entry.getName().equals("usr/lib/libx.so.1")) {
                    assertThat(entry.isLink()).isTrue();
                    assertThat(entry.getLinkName()).isEqualTo("bin/libx-link");
                }
            }
        }
        assertThat(names)
                .contains(
                        "etc/.wh.removed",
                        "var/cache/",
                        "var/cache/.wh..wh..opq",
                        "var/cache/fresh.txt",
                        "d".repeat(120) + "/" + "f".repeat(200),
                        "unicode/Grüße-日本.txt");
        assertThat(names).doesNotContain("etc/removed", "./", "");
        assertThat(names.indexOf("var/cache/.wh..wh..opq")).isEqualTo(names.indexOf("var/cache/") + 1);
        List<String> topLevel = names.stream()
                .filter(n -> n.indexOf('/') < 0 || n.indexOf('/') == n.length() - 1)
                .toList();
        assertThat(topLevel).isSorted();
    }

    @Test
    void severalLayersCanBeWrittenAtOnce() throws Exception {
        Path source = Files.createDirectory(temp.resolve("source"));
        LayerTrees.populate(source);
        LayerWriteOptions options = LayerWriteOptions.defaults().withClamp(CLAMP);
        byte[] expected = write(source, options);

        List<Thread> threads = new ArrayList<>();
        List<byte[]> results = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 6; i++) {
            LayerCompression compression = LayerCompression.values()[i % 3];
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    byte[] blob = write(source, options.withCompression(compression));
                    if (compression == LayerCompression.GZIP) {
                        results.add(blob);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(results).hasSize(2).allSatisfy(blob -> assertThat(blob).isEqualTo(expected));
    }

    static byte[] write(Path source, LayerWriteOptions options) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LayerWriter.write(source, out, options);
        return out.toByteArray();
    }

    static byte[] decompress(byte[] blob, LayerCompression compression) throws IOException {
        try (InputStream in = switch (compression) {
            case NONE -> new ByteArrayInputStream(blob);
            case GZIP -> new GZIPInputStream(new ByteArrayInputStream(blob));
            case ZSTD -> new ZstdInputStream(new ByteArrayInputStream(blob));
        }) {
            return in.readAllBytes();
        }
    }

    private static void touchEverything(Path root, Instant now) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path path : paths.toList()) {
                LayerTrees.time(path, now);
            }
        }
    }
}
