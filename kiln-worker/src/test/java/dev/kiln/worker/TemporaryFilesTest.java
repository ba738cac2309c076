package dev.kiln.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker opened on a state a killed process wrote to removes that process's temporary files, and only those. */
class TemporaryFilesTest {

    @TempDir
    Path state;

    @Test
    void openingTheWorkerRemovesWhatAKilledWriterLeftAndKeepsEverythingElse() throws Exception {
        try (Worker worker = Worker.open(state, "auto")) {
            assertThat(worker).isNotNull();
        }
        Path[] leftovers = {
            write("checksums.idx.812734.tmp"),
            write("snapshot-checksums/.tmp-3f2a"),
            write("locals/.tmp-91aa"),
            write("downloads/.download-77"),
            write("downloads/.tmp-5"),
            write("images/chains/.tmp-1"),
            write("images/layers/.tmp-2"),
            write("images/names/127.0.0.1:5000/app/.tmp-3")
        };
        Path[] kept = {
            write("checksums.idx.bak"),
            write("locals/0d3b48f9"),
            write("downloads/abc.meta"),
            write("images/names/127.0.0.1:5000/app/latest"),
            write("cache-mounts/users-cache/.tmp-in-a-cache-mount")
        };

        try (Worker worker = Worker.open(state, "auto")) {
            assertThat(worker).isNotNull();
        }

        for (Path leftover : leftovers) {
            assertThat(leftover).doesNotExist();
        }
        for (Path file : kept) {
            assertThat(file).exists();
        }
    }

    private Path write(String name) throws Exception {
        Path file = state.resolve(name);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, "x");
    }
}
