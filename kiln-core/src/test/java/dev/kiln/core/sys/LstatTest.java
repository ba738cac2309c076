package dev.kiln.core.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** statx's answer is the JDK's lstat answer, field by field, for every kind of file, nanoseconds included. */
class LstatTest {
    @TempDir
    Path dir;

    @Test
    void agreesWithTheJdkOnFilesDirectoriesLinksAndDevices() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "twelve bytes");
        PosixFiles.setTimes(
                file, Instant.parse("2001-02-03T04:05:06.123456789Z"), Instant.parse("2021-02-03T04:05:06.987654321Z"));
        Files.createLink(dir.resolve("second-name"), file);
        Path directory = Files.createDirectory(dir.resolve("directory"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("missing-target"));

        for (Path path : new Path[] {file, directory, link, Path.of("/dev/null")}) {
            assertThat(Lstat.of(path)).as(path.toString()).isEqualTo(Lstat.viaJdk(path));
        }
        Lstat stat = Lstat.of(file);
        assertThat(stat.size()).isEqualTo(12);
        assertThat(stat.links()).isEqualTo(2);
        assertThat(stat.type()).isEqualTo(PosixFiles.S_IFREG);
        assertThat(stat.modified().toInstant()).isEqualTo(Instant.parse("2021-02-03T04:05:06.987654321Z"));
        assertThat(Lstat.of(link).type()).isEqualTo(PosixFiles.S_IFLNK);
        assertThat(PosixFiles.major(Lstat.of(Path.of("/dev/null")).rdev())).isEqualTo(1);
        assertThat(PosixFiles.minor(Lstat.of(Path.of("/dev/null")).rdev())).isEqualTo(3);
    }

    @Test
    void aMissingPathIsNoSuchFileAsInTheJdk() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> Lstat.of(dir.resolve("missing")))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("missing");
        assertThatThrownBy(() -> Lstat.of(file.resolve("below-a-file"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void ofIfExistsAnswersNullForWhatIsMissingAndTheStatForWhatIsThere() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("missing-target"));

        assertThat(Lstat.ofIfExists(dir.resolve("missing"))).isNull();
        assertThat(Lstat.ofIfExists(file.resolve("below-a-file"))).isNull();
        assertThat(Lstat.ofIfExists(file)).isEqualTo(Lstat.of(file));
        assertThat(Lstat.ofIfExists(link)).as("a dangling link is there").isEqualTo(Lstat.of(link));
    }
}
