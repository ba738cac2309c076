package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class DigestTest {

    @Test
    void sha256OfNothingIsTheWellKnownValue() {
        assertThat(Digest.sha256(new byte[0]).toString())
                .isEqualTo("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void parseReadsWhatToStringWrites() {
        Digest digest = Digest.sha256("kiln".getBytes());
        assertThat(Digest.parse(digest.toString())).isEqualTo(digest);
        assertThat(digest.algorithm()).isEqualTo("sha256");
        assertThat(digest.hex()).hasSize(64);
    }

    @Test
    void parseNamesWhatIsWrong() {
        assertThatThrownBy(() -> Digest.parse("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing the algorithm prefix");
        assertThatThrownBy(() -> Digest.parse("sha256:abc"))
                .hasMessageContaining("sha256 digest must have 64 hex digits, not 3");
        assertThatThrownBy(
                        () -> Digest.parse("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"))
                .hasMessageContaining("lowercase hexadecimal");
        assertThatThrownBy(() -> Digest.parse("md5:d41d8cd98f00b204e9800998ecf8427e"))
                .hasMessageContaining("unsupported digest algorithm \"md5\"");
        assertThatThrownBy(() -> Digest.parse("")).hasMessageContaining("empty digest");
    }

    @Test
    void aBufferDigestsLikeItsBytesAndAStreamCountsThem() {
        byte[] data = "kiln".getBytes();
        assertThat(Digest.sha256(ByteBuffer.wrap(data))).isEqualTo(Digest.sha256(data));
        Sha256 streamed = new Sha256();
        streamed.update(data, 0, 2);
        streamed.update(ByteBuffer.wrap(data, 2, 2));
        assertThat(streamed.count()).isEqualTo(4);
        assertThat(streamed.digest()).isEqualTo(Digest.sha256(data));
    }

    @Test
    void anEngineIsOnlyMadeForAlgorithmsADigestAccepts() {
        assertThat(Digest.engine("sha512").getDigestLength()).isEqualTo(64);
        assertThatThrownBy(() -> Digest.engine("md5"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unsupported digest algorithm \"md5\"");
    }
}
