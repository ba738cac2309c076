package dev.kiln.worker.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base of the file-operation tests that read from a source directory and write into a destination, as COPY
 * and ADD do: before each test, fresh {@link #src} and {@link #dst} directories under a temporary directory
 * {@link #tmp}, and {@link FileActions} on {@code dst} that resolve user and group names with {@link #users()}.
 */
abstract class SourceToDestination {

    @TempDir
    Path tmp;

    Path src;
    Path dst;
    FileActions actions;

    /** How the actions resolve user and group names. */
    abstract UserLookup users();

    @BeforeEach
    void sourceAndDestination() throws Exception {
        src = Files.createDirectory(tmp.resolve("src"));
        dst = Files.createDirectory(tmp.resolve("dst"));
        actions = new FileActions(dst, users());
    }

    /** Each of {@code paths} under {@link #dst} (never followed if a symlink) belongs to uid:gid. */
    void assertOwnedBy(int uid, int gid, String... paths) throws Exception {
        for (String rel : paths) {
            FileStat s = FileStat.of(dst.resolve(rel));
            assertThat(s.uid()).as(rel).isEqualTo(uid);
            assertThat(s.gid()).as(rel).isEqualTo(gid);
        }
    }
}
