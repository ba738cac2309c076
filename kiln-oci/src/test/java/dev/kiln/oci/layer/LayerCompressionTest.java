package dev.kiln.oci.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class LayerCompressionTest {
    @TempDir
    Path temp;

    @ParameterizedTest
    @EnumSource(
            value = LayerCompression.class,
            names = {"GZIP", "ZSTD"})
    void compressionIsRecognisedByItsMagicBytes(LayerCompression compression) throws IOException {
        byte[] tar = sampleTar();
        AppliedLayer applied = apply(compress(compression, tar), null);

        assertThat(applied.compression()).isEqualTo(compression);
        assertThat(applied.diffId().toString()).isEqualTo(LayerTrees.sha(tar));
        assertThat(temp.resolve("out/hello.txt")).hasContent("hello");
    }

    @Test
    void plainTarIsReadAsIsAndItsDigestIsItsDiffId() throws IOException {
        byte[] tar = sampleTar();
        AppliedLayer applied = apply(tar, "application/vnd.docker.image.rootfs.diff.tar");

        assertThat(applied.compression()).isEqualTo(LayerCompression.NONE);
        assertThat(applied.diffId()).isEqualTo(applied.digest());
        assertThat(applied.diffId().toString()).isEqualTo(LayerTrees.sha(tar));
        assertThat(applied.size()).isEqualTo(tar.length);
        assertThat(applied.warnings()).isEmpty();
    }

    @Test
    void diffIdCoversTheWholeUncompressedStreamIncludingPaddingAfterTheEndBlocks() throws IOException {
        byte[] tar = Arrays.copyOf(sampleTar(), sampleTar().length + 10240);
        AppliedLayer applied = apply(gzip(tar), null);

        assertThat(applied.diffId().toString()).isEqualTo(LayerTrees.sha(tar));
    }

    @Test
    void mediaTypeThatDisagreesWithTheBytesIsAWarningAndTheBytesWin() throws IOException {
        AppliedLayer applied = apply(sampleTar(), "application/vnd.oci.image.layer.v1.tar+gzip");

        assertThat(applied.compression()).isEqualTo(LayerCompression.NONE);
        assertThat(applied.warnings())
                .singleElement()
                .asString()
                .contains("application/vnd.oci.image.layer.v1.tar+gzip says gzip, but the blob is uncompressed");
    }

    /** A gzip blob of several members, a zstd one of several frames (its media type declared). */
    @ParameterizedTest
    @CsvSource(
            value = {"GZIP, NULL", "ZSTD, application/vnd.oci.image.layer.v1.tar+zstd"},
            nullValues = "NULL")
    void blobsCompressedInPiecesAreReadToTheEnd(LayerCompression compression, String mediaType) throws IOException {
        byte[] tar = sampleTar();
        byte[] blob = concat(
                compress(compression, Arrays.copyOfRange(tar, 0, 700)),
                compress(compression, Arrays.copyOfRange(tar, 700, tar.length)));

        AppliedLayer applied = apply(blob, mediaType);

        assertThat(applied.diffId().toString()).isEqualTo(LayerTrees.sha(tar));
        assertThat(temp.resolve("out/second.txt")).hasContent("second");
    }

    @Test
    void zstdBlobStartingWithASkippableFrameIsRecognised() throws IOException {
        byte[] tar = sampleTar();
        byte[] skippableFrame = {0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'k', 'i', 'n'};

        AppliedLayer applied = apply(concat(skippableFrame, zstd(tar)), null);

        assertThat(applied.compression()).isEqualTo(LayerCompression.ZSTD);
        assertThat(applied.diffId().toString()).isEqualTo(LayerTrees.sha(tar));
    }

    @Test
    void gzipWithAWrongChecksumIsRefused() throws IOException {
        byte[] blob = gzip(sampleTar());
        blob[blob.length - 8] ^= 0x5a; // the trailer's CRC-32

        assertThatThrownBy(() -> apply(blob, null))
                .isInstanceOf(InvalidLayerException.class)
                .hasMessageContaining("gzip layer blob is corrupt");
    }

    @Test
    void gzipWithDamagedDataIsRefused() throws IOException {
        byte[] blob = gzip(sampleTar());
        Arrays.fill(blob, 20, blob.length - 20, (byte) 0xa5);

        assertThatThrownBy(() -> apply(blob, null)).isInstanceOf(InvalidLayerException.class);
    }

    @Test
    void truncatedZstdIsRefused() throws IOException {
        byte[] blob = zstd(sampleTar());
        byte[] truncated = Arrays.copyOf(blob, blob.length - 8);

        assertThatThrownBy(() -> apply(truncated, null))
                .isInstanceOf(InvalidLayerException.class)
                .hasMessageContaining("zstd layer blob is");
    }

    @Test
    void bzip2LayersAreRefusedByName() {
        byte[] blob = "BZh91AY&SY not really".getBytes();

        assertThatThrownBy(() -> apply(blob, null))
                .isInstanceOf(InvalidLayerException.class)
                .hasMessageContaining("bzip2-compressed");
    }

    @Test
    void aMediaTypeThatIsNotALayerIsRefused() {
        assertThatThrownBy(() -> apply(sampleTar(), "application/vnd.oci.image.config.v1+json"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"application/vnd.oci.image.config.v1+json\" is not a layer media type");
        assertThatThrownBy(() -> LayerCompression.ofMediaType("application/vnd.oci.image.layer.v1.tar+gzip+encrypted"))
                .hasMessageContaining("encrypted layers are not supported");
    }

    @ParameterizedTest
    @CsvSource({
        "application/vnd.oci.image.layer.v1.tar, NONE",
        "application/vnd.oci.image.layer.v1.tar+gzip, GZIP",
        "application/vnd.oci.image.layer.v1.tar+zstd, ZSTD",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip, GZIP",
        "application/vnd.docker.image.rootfs.diff.tar, NONE",
        "application/vnd.docker.image.rootfs.diff.tar.gzip, GZIP",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip, GZIP",
    })
    void layerMediaTypesNameTheirCompression(String mediaType, LayerCompression compression) {
        assertThat(LayerCompression.ofMediaType(mediaType)).isEqualTo(compression);
    }

    private AppliedLayer apply(byte[] blob, String mediaType) throws IOException {
        Path out = Files.createDirectories(temp.resolve("out"));
        return LayerUnpacker.apply(new ByteArrayInputStream(blob), mediaType, out);
    }

    private static byte[] sampleTar() throws IOException {
        return LayerSafetyTest.tar(out -> {
            LayerSafetyTest.file(out, "hello.txt", "hello");
            LayerSafetyTest.file(out, "second.txt", "second");
        });
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    private static byte[] compress(LayerCompression compression, byte[] data) throws IOException {
        return switch (compression) {
            case GZIP -> gzip(data);
            case ZSTD -> zstd(data);
            case NONE -> data;
        };
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    static byte[] zstd(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new ZstdOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }
}
