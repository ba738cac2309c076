package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** Single-byte reads and skips reach the subclass's one read, so a counting stream counts every byte. */
class PassThroughInputStreamTest {

    /** Counts the bytes its read passes on. */
    private static final class Counting extends PassThroughInputStream {
        long seen;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                seen += n;
            }
            return n;
        }
    }

    @Test
    void singleByteReadsAndSkipsPassThroughTheOneRead() throws Exception {
        byte[] data = new byte[50_000];
        data[0] = (byte) 0xfe;
        data[40_001] = 7;
        try (Counting in = new Counting(new ByteArrayInputStream(data))) {
            assertThat(in.read()).isEqualTo(0xfe);
            assertThat(in.skip(40_000)).isEqualTo(40_000);
            assertThat(in.read()).isEqualTo(7);
            assertThat(in.skip(1_000_000)).isEqualTo(9_998);
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.skip(10)).isZero();
            assertThat(in.seen).isEqualTo(data.length);
        }
    }

    @Test
    void markAndResetAreNotOfferedEvenWhereTheWrappedStreamHasThem() throws Exception {
        try (Counting in = new Counting(new ByteArrayInputStream(new byte[] {1, 2, 3}))) {
            in.mark(10);
            assertThat(in.read()).isEqualTo(1);

            assertThat(in.markSupported()).isFalse();
            assertThatThrownBy(in::reset).isInstanceOf(IOException.class);
            assertThat(in.read()).isEqualTo(2);
        }
    }
}
