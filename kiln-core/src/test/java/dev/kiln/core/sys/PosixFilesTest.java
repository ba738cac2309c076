package dev.kiln.core.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosixFilesTest {
    @TempDir
    Path dir;

    private static Object attribute(Path path, String name) throws Exception {
        return Files.getAttribute(path, "unix:" + name, LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void processIdsAreTheRealIdsTheKernelReports() throws Exception {
        String uids = null;
        String gids = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                uids = line;
            } else if (line.startsWith("Gid:")) {
                gids = line;
            }
        }
        // "Uid: real effective saved filesystem": the real id comes first
        assertThat(PosixFiles.uid()).isEqualTo(Integer.parseInt(uids.split("\\s+")[1]));
        assertThat(PosixFiles.gid()).isEqualTo(Integer.parseInt(gids.split("\\s+")[1]));
    }

    @Test
    void mknodMakesAnOverlayWhiteout() throws Exception {
        Path whiteout = dir.resolve("gone");

        PosixFiles.mknod(whiteout, PosixFiles.S_IFCHR | 0, PosixFiles.makedev(0, 0));

        assertThat((int) attribute(whiteout, "mode") & PosixFiles.S_IFMT).isEqualTo(PosixFiles.S_IFCHR);
        assertThat((long) attribute(whiteout, "rdev")).isZero();
    }

    @Test
    void deviceNumbersRoundTrip() throws Exception {
        Path node = dir.resolve("null");
        PosixFiles.mknod(node, PosixFiles.S_IFCHR | 0666, PosixFiles.makedev(1, 3));

        long rdev = (long) attribute(node, "rdev");

        assertThat(PosixFiles.major(rdev)).isEqualTo(1);
        assertThat(PosixFiles.minor(rdev)).isEqualTo(3);
        assertThat(PosixFiles.makedev(300, 70000)).satisfies(d -> {
            assertThat(PosixFiles.major(d)).isEqualTo(300);
            assertThat(PosixFiles.minor(d)).isEqualTo(70000);
        });
    }

    @Test
    void chmodKeepsSetuidAndStickyBits() throws Exception {
        Path file = Files.createFile(dir.resolve("tool"));

        PosixFiles.chmod(file, 04755);
        assertThat((int) attribute(file, "mode") & 07777).isEqualTo(04755);

        PosixFiles.chmod(file, 01777);
        assertThat((int) attribute(file, "mode") & 07777).isEqualTo(01777);
    }

    @Test
    void lchownAndSetTimesChangeTheSymlinkNotItsTarget() throws Exception {
        Path target = Files.createFile(dir.resolve("target"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        FileTime targetTime = Files.getLastModifiedTime(target);
        FileTime stamp = FileTime.from(Instant.parse("2001-02-03T04:05:06.123456789Z"));

        PosixFiles.lchown(link, 1234, 5678);
        PosixFiles.setTimes(link, stamp, stamp);

        assertThat(attribute(link, "uid")).isEqualTo(1234);
        assertThat(attribute(link, "gid")).isEqualTo(5678);
        assertThat(attribute(target, "uid")).isEqualTo(0);
        assertThat(Files.getLastModifiedTime(link, LinkOption.NOFOLLOW_LINKS)).isEqualTo(stamp);
        assertThat(Files.getLastModifiedTime(target)).isEqualTo(targetTime);
    }

    @Test
    void setTimesReachesTimesBeyondWhatNanosecondsInALongHold() throws Exception {
        // A tar header's mtime may lie past 2262, where a FileTime counted in nanoseconds would saturate.
        Path file = Files.createFile(dir.resolve("far"));
        Instant far = Instant.parse("2300-01-02T03:04:05Z");
        Instant early = Instant.parse("1960-01-01T00:00:00.5Z");

        PosixFiles.setTimes(file, early, far);

        assertThat(Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant())
                .isEqualTo(far);
        assertThat(((FileTime) attribute(file, "lastAccessTime")).toInstant()).isEqualTo(early);
    }

    @Test
    void syncFilesystemAcceptsADirectoryAndRejectsAMissingOne() throws Exception {
        PosixFiles.syncFilesystem(dir);

        assertThatThrownBy(() -> PosixFiles.syncFilesystem(dir.resolve("missing")))
                .isInstanceOf(SyscallException.class)
                .hasMessageContaining("open")
                .hasMessageContaining("ENOENT");
    }
}
