package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IoFailureTest {

    @TempDir
    Path dir;

    @Test
    void aFileSystemFailureSaysWhatAndWhere() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");

        assertThatThrownBy(() -> Files.createDirectories(file.resolve("sub")))
                .satisfies(failure -> assertThat(IoFailure.describe(failure))
                        .isEqualTo(file.resolve("sub") + ": Not a directory")
                        .as("the JDK's own message: " + failure.getMessage()));
        assertThatThrownBy(() -> Files.createDirectory(file))
                .satisfies(failure ->
                        assertThat(IoFailure.describe(failure)).isEqualTo(file + ": a file already exists there"));
        assertThatThrownBy(() -> Files.readAllBytes(dir.resolve("absent")))
                .satisfies(failure -> assertThat(IoFailure.describe(failure))
                        .isEqualTo(dir.resolve("absent") + ": no such file or directory"));
    }

    @Test
    void anyOtherFailureIsItsMessageOrItsType() {
        assertThat(IoFailure.describe(new IOException("disk on fire"))).isEqualTo("disk on fire");
        assertThat(IoFailure.describe(new IOException())).isEqualTo("IOException");
    }
}
