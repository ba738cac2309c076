package dev.kiln.core.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** libcrypto's SHA-256 gives the JDK's digests, however the bytes arrive. */
class NativeSha256Test {

    private static MessageDigest nativeSha() {
        // Debian's libssl3 provides libcrypto.so.3 here; a machine without it falls back, which Sha256 covers
        return NativeSha256.available().orElseThrow(() -> new AssertionError("libcrypto.so.3 could not be loaded"));
    }

    private static byte[] jdk(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    @Test
    void knownDigestOfAbc() {
        assertThat(HexFormat.of().formatHex(nativeSha().digest("abc".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void matchesTheJdkForEverySizeAndSplit() throws Exception {
        Random random = new Random(42);
        for (int size : new int[] {0, 1, 55, 56, 63, 64, 65, 1000, 1 << 20}) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            MessageDigest sha = nativeSha();
            int first = size / 3;
            sha.update(data, 0, first);
            if (size > first) {
                sha.update(data[first]);
                sha.update(data, first + 1, size - first - 1);
            }
            assertThat(sha.digest()).as("%d bytes", size).isEqualTo(jdk(data));
        }
    }

    @Test
    void heapDirectAndReadOnlyBuffersAreReadFromTheirPositionToTheirLimit() throws Exception {
        byte[] data = new byte[100_000];
        new Random(7).nextBytes(data);
        byte[] expected = jdk(java.util.Arrays.copyOfRange(data, 10, 90_010));

        ByteBuffer heap = ByteBuffer.wrap(data, 10, 90_000);
        ByteBuffer direct =
                ByteBuffer.allocateDirect(data.length).put(data).position(10).limit(90_010);
        ByteBuffer readOnly = ByteBuffer.wrap(data).position(10).limit(90_010).asReadOnlyBuffer();
        for (ByteBuffer buffer : new ByteBuffer[] {heap, direct, readOnly}) {
            MessageDigest sha = nativeSha();
            sha.update(buffer);
            assertThat(buffer.position()).isEqualTo(buffer.limit());
            assertThat(sha.digest()).isEqualTo(expected);
        }
    }

    @Test
    void digestResetsAndACloneGoesOnAlone() throws Exception {
        MessageDigest sha = nativeSha();
        sha.update("half".getBytes(StandardCharsets.US_ASCII));
        MessageDigest copy = (MessageDigest) sha.clone();
        sha.update(" and more".getBytes(StandardCharsets.US_ASCII));
        copy.update(" else".getBytes(StandardCharsets.US_ASCII));

        assertThat(sha.digest()).isEqualTo(jdk("half and more".getBytes(StandardCharsets.US_ASCII)));
        assertThat(copy.digest()).isEqualTo(jdk("half else".getBytes(StandardCharsets.US_ASCII)));
        // after digest() the engine starts over, as the JDK's does
        assertThat(sha.digest("abc".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(jdk("abc".getBytes(StandardCharsets.US_ASCII)));
    }
}
