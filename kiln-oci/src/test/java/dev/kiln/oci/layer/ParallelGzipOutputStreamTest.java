package dev.kiln.oci.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParallelGzipOutputStreamTest {
    private static final int BLOCK = ParallelGzipOutputStream.BLOCK_SIZE;

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(ints = {0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 5 * BLOCK + 17})
    void gzipCommandAndTheJdkReadBackEveryByteAtEveryBlockBoundary(int size) throws Exception {
        byte[] data = sample(size);
        byte[] compressed = compress(data, 65536);

        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        Path file = temp.resolve("blob.gz");
        Files.write(file, compressed);
        assertThat(ThirdPartyToolsTest.run(null, "gzip", "-dc", file.toString()))
                .isEqualTo(data);
        ThirdPartyToolsTest.run(null, "gzip", "-t", file.toString());
    }

    @Test
    void outputDependsOnTheBytesAloneNotOnHowTheyWereWritten() throws IOException {
        byte[] data = sample(3 * BLOCK + 1234);

        assertThat(compress(data, 7)).isEqualTo(compress(data, data.length)).isEqualTo(compress(data, 65536));
    }

    @Test
    void headerCarriesNoNameAndNoTime() throws IOException {
        byte[] compressed = compress(sample(100), 100);

        assertThat(java.util.Arrays.copyOf(compressed, 10)).containsExactly(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
    }

    @Test
    void compressesAboutAsWellAsPlainGzip() throws IOException {
        byte[] data = sample(8 * BLOCK);
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        try (var out = new java.util.zip.GZIPOutputStream(plain)) {
            out.write(data);
        }

        assertThat((double) compress(data, 65536).length).isLessThan(plain.size() * 1.01);
    }

    /** Text-like data that compresses, with stretches of noise, so blocks differ in how well they compress. */
    private static byte[] sample(int size) {
        Random random = new Random(size);
        byte[] words =
                "layer tar gzip block dictionary overlay whiteout opaque kiln ".getBytes(StandardCharsets.US_ASCII);
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (i / 4096) % 5 == 4 ? (byte) random.nextInt() : words[random.nextInt(words.length)];
        }
        return data;
    }

    private static byte[] compress(byte[] data, int chunk) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ParallelGzipOutputStream out = new ParallelGzipOutputStream(bytes, Deflater.DEFAULT_COMPRESSION)) {
            for (int offset = 0; offset < data.length; offset += chunk) {
                out.write(data, offset, Math.min(chunk, data.length - offset));
            }
        }
        return bytes.toByteArray();
    }
}
