package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deleting a tree removes what is in it and never what a symlink in it points to. */
class TreesTest {

    @TempDir
    Path temp;

    @Test
    void deleteRecursivelyRemovesTheTreeButNotWhatItsSymlinksPointTo() throws Exception {
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "kept");
        Path tree = Files.createDirectories(temp.resolve("tree/a/b"));
        Files.writeString(tree.resolve("file"), "x");
        Files.createSymbolicLink(temp.resolve("tree/a/link"), outside);

        Trees.deleteRecursively(temp.resolve("tree"));

        assertThat(temp.resolve("tree")).doesNotExist();
        assertThat(outside.resolve("keep")).hasContent("kept");
    }

    @Test
    void aSymlinkAsTheRootIsDeletedItselfAndAMissingPathIsFine() throws Exception {
        Path target = Files.createDirectories(temp.resolve("target"));
        Files.writeString(target.resolve("keep"), "kept");
        Path link = Files.createSymbolicLink(temp.resolve("link"), target);

        Trees.deleteRecursively(link);
        Trees.deleteRecursively(temp.resolve("never-there"));

        assertThat(link).doesNotExist();
        assertThat(target.resolve("keep")).hasContent("kept");
    }

    @Test
    void deleteContentsKeepsTheDirectoryAndNamesAreSorted() throws Exception {
        Path dir = Files.createDirectories(temp.resolve("dir"));
        Files.createDirectories(dir.resolve("b/c"));
        Files.writeString(dir.resolve("a"), "a");
        assertThat(Trees.names(dir)).containsExactly("a", "b");

        Trees.deleteContents(dir);

        assertThat(dir).isEmptyDirectory();
    }
}
