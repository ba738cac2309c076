package dev.kiln.oci.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceFilesTest {
    @TempDir
    Path temp;

    @Test
    void devicesAreCreatedWhenPrivileged() throws IOException {
        Path target = Files.createDirectory(temp.resolve("target"));

        AppliedLayer applied = LayerUnpacker.apply(new ByteArrayInputStream(layerWithDevices()), target);

        assertThat(applied.skippedDevices()).isZero();
        assertThat(LayerTrees.describe(target))
                .containsEntry("dev/null", "char 666 0:0 mtime=1000000000 1:3")
                .containsEntry("dev/sda", "block 660 0:6 mtime=1000000000 8:0")
                .containsEntry("gone", "char 0 0:0 mtime=1000000000 0:0");
    }

    @Test
    void devicesAreSkippedWithAWarningEachWhenMknodIsNotPermitted() throws Exception {
        Path layer = temp.resolve("layer.tar");
        Files.write(layer, layerWithDevices());
        Path target = Files.createDirectory(temp.resolve("target"));
        String java = ProcessHandle.current().info().command().orElseThrow();

        // capsh drops CAP_MKNOD from the bounding set, so the JVM it starts runs as root without it.
        byte[] output = ThirdPartyToolsTest.run(
                null,
                "capsh",
                "--drop=cap_mknod",
                "--",
                "-c",
                "exec \"$@\"",
                "bash",
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                UnprivilegedApply.class.getName(),
                layer.toString(),
                target.toString());

        List<String> lines = new String(output, StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).first().isEqualTo("skipped=2");
        assertThat(lines)
                .anyMatch(line -> line.contains("device dev/null (1:3) skipped"))
                .anyMatch(line -> line.contains("device dev/sda (8:0) skipped"));
        assertThat(Files.exists(target.resolve("dev/null"), LinkOption.NOFOLLOW_LINKS))
                .isFalse();
        assertThat(target.resolve("dev/after")).hasContent("after");
        // A whiteout is a 0/0 device the kernel lets anyone make, so it survives without CAP_MKNOD.
        assertThat(LayerTrees.describe(target)).containsEntry("gone", "char 0 0:0 mtime=1000000000 0:0");
    }

    private static byte[] layerWithDevices() throws IOException {
        return LayerSafetyTest.tar(out -> {
            device(out, "dev/null", TarConstants.LF_CHR, 0666, 1, 3, 0);
            device(out, "dev/sda", TarConstants.LF_BLK, 0660, 8, 0, 6);
            LayerSafetyTest.file(out, "dev/after", "after");
            whiteout(out, ".wh.gone");
        });
    }

    private static void device(
            TarArchiveOutputStream out, String name, byte type, int mode, int major, int minor, int gid)
            throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name, type);
        entry.setMode(mode);
        entry.setDevMajor(major);
        entry.setDevMinor(minor);
        entry.setGroupId(gid);
        entry.setModTime(1_000_000_000_000L);
        out.putArchiveEntry(entry);
        out.closeArchiveEntry();
    }

    private static void whiteout(TarArchiveOutputStream out, String name) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setModTime(1_000_000_000_000L);
        out.putArchiveEntry(entry);
        out.closeArchiveEntry();
    }
}
