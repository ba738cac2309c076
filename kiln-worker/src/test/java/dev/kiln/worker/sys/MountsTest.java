package dev.kiln.worker.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.sys.SyscallException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountsTest {
    @TempDir
    Path dir;

    @Test
    void tmpfsMountHidesTheDirectoryUntilUnmounted() throws Exception {
        Path target = Files.createDirectory(dir.resolve("target"));
        Files.writeString(target.resolve("below"), "x");

        Mounts.mount("tmpfs", target, "tmpfs", Mounts.MS_NOSUID, "size=1m");
        try {
            assertThat(target.resolve("below")).doesNotExist();
            assertThat(Mounts.mountPointsUnder(dir)).containsExactly(target);
        } finally {
            Mounts.unmount(target, 0);
        }
        assertThat(target.resolve("below")).hasContent("x");
        assertThat(Mounts.mountPointsUnder(dir)).isEmpty();
    }

    @Test
    void readOnlyBindMountRefusesWrites() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Files.writeString(source.resolve("file"), "content");
        Path target = Files.createDirectory(dir.resolve("target with space"));

        Mounts.mount(source.toString(), target, null, Mounts.MS_BIND, null);
        try {
            Mounts.mount("none", target, null, Mounts.MS_BIND | Mounts.MS_REMOUNT | Mounts.MS_RDONLY, null);
            assertThat(target.resolve("file")).hasContent("content");
            assertThatThrownBy(() -> Files.writeString(target.resolve("new"), "y"))
                    .isInstanceOf(FileSystemException.class)
                    .isNotInstanceOf(AccessDeniedException.class)
                    .hasMessageContaining("Read-only file system");
            assertThat(Mounts.mountPointsUnder(dir)).containsExactly(target);
        } finally {
            Mounts.unmount(target, Mounts.MNT_DETACH);
        }
    }

    @Test
    void failedMountNamesTheCallTheTargetAndTheReason() {
        Path missing = dir.resolve("missing");

        assertThatThrownBy(() -> Mounts.mount("tmpfs", missing, "tmpfs", 0, null))
                .isInstanceOfSatisfying(SyscallException.class, e -> {
                    assertThat(e.errno()).isEqualTo(SyscallException.ENOENT);
                    assertThat(e.call()).isEqualTo("mount");
                })
                .hasMessageContaining("mount tmpfs (tmpfs) on " + missing)
                .hasMessageContaining("No such file or directory (ENOENT)");
    }

    @Test
    void unmountingSomethingNotMountedSaysSo() throws Exception {
        Path plain = Files.createDirectory(dir.resolve("plain"));

        assertThatThrownBy(() -> Mounts.unmount(plain, 0))
                .isInstanceOf(SyscallException.class)
                .hasMessageContaining("umount2 " + plain)
                .hasMessageContaining("EINVAL");
    }
}
