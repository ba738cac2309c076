package dev.kiln.oci.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both block deflaters make one raw deflate stream of blocks, each primed with the end of the block before it (or with
 * nothing), that inflates back to the input; a deflater serves block after block, and the system's zlib loads here.
 */
class BlockDeflaterTest {

    static Stream<BlockDeflater> deflaters() {
        return Stream.of(
                SystemZlib.available().orElseThrow().deflater(Deflater.DEFAULT_COMPRESSION, 100_000),
                new BlockDeflater.Jdk(Deflater.DEFAULT_COMPRESSION));
    }

    @ParameterizedTest
    @MethodSource("deflaters")
    void blocksPrimedWithTheirPredecessorsEndInflateToTheInput(BlockDeflater deflater) throws Exception {
        byte[] input = text(250_000);
        int[] cuts = {0, 70_000, 70_000, 150_000, 240_000, input.length}; // an empty block, and one without dictionary
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        try (deflater) {
            for (int i = 0; i + 1 < cuts.length; i++) {
                byte[] block = java.util.Arrays.copyOfRange(input, cuts[i], cuts[i + 1]);
                int window = i == 3 ? 0 : Math.min(32 * 1024, cuts[i]);
                stream.write(
                        deflater.deflate(input, cuts[i] - window, window, block, block.length, i + 2 == cuts.length));
            }
        }

        assertThat(inflate(stream.toByteArray(), input.length)).isEqualTo(input);
    }

    @Test
    void theSystemsZlibNamesItsVersion() {
        assertThat(BlockDeflater.current()).startsWith("zlib 1.");
    }

    private static byte[] text(int size) {
        Random random = new Random(5);
        String[] words = {"layer ", "blob ", "digest ", "kiln ", "overlay ", "snapshot\n"};
        StringBuilder text = new StringBuilder();
        while (text.length() < size) {
            text.append(words[random.nextInt(words.length)]);
        }
        return text.substring(0, size).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static byte[] inflate(byte[] deflated, int length) throws Exception {
        Inflater inflater = new Inflater(true);
        inflater.setInput(deflated);
        byte[] out = new byte[length + 1];
        int n = 0;
        while (!inflater.finished() && n < out.length) {
            n += inflater.inflate(out, n, out.length - n);
        }
        inflater.end();
        return java.util.Arrays.copyOf(out, n);
    }
}
