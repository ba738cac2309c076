package dev.kiln.core.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XattrsTest {
    @TempDir
    Path dir;

    @Test
    void trustedAttributeRoundTrips() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"));

        Xattrs.set(sub, "trusted.overlay.opaque", "y".getBytes(StandardCharsets.US_ASCII));
        Xattrs.set(sub, "user.empty", new byte[0]);

        assertThat(Xattrs.get(sub, "trusted.overlay.opaque"))
                .hasValueSatisfying(v -> assertThat(v).containsExactly('y'));
        assertThat(Xattrs.get(sub, "user.empty"))
                .hasValueSatisfying(v -> assertThat(v).isEmpty());
        assertThat(Xattrs.list(sub)).contains("trusted.overlay.opaque", "user.empty");

        Xattrs.remove(sub, "trusted.overlay.opaque");
        assertThat(Xattrs.get(sub, "trusted.overlay.opaque")).isEmpty();
    }

    @Test
    void largeValuesAreReadWhole() throws Exception {
        Path file = Files.createFile(dir.resolve("file"));
        byte[] value = new byte[3000];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }

        Xattrs.set(file, "user.big", value);

        assertThat(Xattrs.get(file, "user.big"))
                .hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
    }

    @Test
    void symlinkIsNotFollowed() throws Exception {
        Path target = Files.createFile(dir.resolve("target"));
        Xattrs.set(target, "user.mark", new byte[] {1});
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);

        assertThat(Xattrs.get(link, "user.mark")).isEmpty();
        assertThat(Xattrs.list(link)).doesNotContain("user.mark");
    }

    @Test
    void missingFileIsAnErrorNamingIt() {
        Path missing = dir.resolve("missing");

        assertThatThrownBy(() -> Xattrs.get(missing, "user.x"))
                .isInstanceOf(SyscallException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("ENOENT");
    }
}
