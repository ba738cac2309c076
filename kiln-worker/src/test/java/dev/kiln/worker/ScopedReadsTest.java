package dev.kiln.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.worker.fs.FileType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's reads of a layer's own directory see what an overlay mount of that layer shows: its whiteouts (the
 * deletions a diff keeps) are files that are not there.
 */
class ScopedReadsTest {

    @TempDir
    Path layer;

    @BeforeEach
    void layerWithADeletion() throws Exception {
        Files.writeString(layer.resolve("kept"), "stays");
        Files.createDirectory(layer.resolve("etc"));
        PosixFiles.mknod(layer.resolve("etc/dropped"), PosixFiles.S_IFCHR | 0, PosixFiles.makedev(0, 0));
        PosixFiles.mknod(layer.resolve("gone"), PosixFiles.S_IFCHR | 0, PosixFiles.makedev(0, 0));
    }

    @Test
    void aWhiteoutInPlaceIsAbsentToEveryRead() throws Exception {
        ScopedReads reads = new ScopedReads(layer, true);

        assertThat(new String(reads.readFile("kept", 0, -1), StandardCharsets.UTF_8))
                .isEqualTo("stays");
        assertThat(reads.readDir("/", "")).extracting(ScopedReads.Entry::path).containsExactly("etc", "kept");
        assertThat(reads.readDir("etc", "")).isEmpty();
        assertThatThrownBy(() -> reads.stat("etc/dropped"))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("etc/dropped");
        assertThatThrownBy(() -> reads.readFile("etc/dropped", 0, -1))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("etc/dropped");
        assertThatThrownBy(() -> reads.readDir("gone", ""))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("gone");
    }

    @Test
    void aMountedViewShowsADeviceAsTheDeviceItIs() throws Exception {
        ScopedReads reads = new ScopedReads(layer, false);

        assertThat(reads.stat("etc/dropped").stat().type()).isEqualTo(FileType.CHAR_DEVICE);
        assertThat(reads.readDir("etc", "")).extracting(ScopedReads.Entry::path).containsExactly("dropped");
    }
}
