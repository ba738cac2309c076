package dev.kiln.worker.fs;

import static dev.kiln.worker.fs.TreeListing.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalSyncTest {

    private static final Instant T0 = Instant.parse("2020-01-01T00:00:00Z");

    @TempDir
    Path tmp;

    private Path context;
    private Path mirror;

    @BeforeEach
    void setUp() throws Exception {
        context = Files.createDirectory(tmp.resolve("context"));
        mirror = tmp.resolve("mirror");
    }

    private Path write(String rel, String content) throws Exception {
        Path p = context.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        Files.setLastModifiedTime(p, FileTime.from(T0));
        return p;
    }

    private SyncResult sync(SyncOptions options) throws FsException {
        return LocalSync.sync(context, mirror, options);
    }

    @Test
    void firstSyncCopiesTheWholeContextOwnedByRoot() throws Exception {
        write("Dockerfile", "FROM scratch");
        write("src/main.c", "int main(){}");
        Files.setAttribute(context.resolve("src/main.c"), "unix:uid", 1000);
        SyncResult result = sync(SyncOptions.buildContext());
        assertThat(tree(mirror)).containsExactly("Dockerfile", "src", "src/main.c");
        assertThat(mirror.resolve("src/main.c")).hasContent("int main(){}");
        assertThat(FileStat.of(mirror.resolve("src/main.c")).uid()).isZero();
        assertThat(FileStat.of(mirror.resolve("src/main.c")).modified().toInstant())
                .isEqualTo(T0);
        assertThat(result.filesCopied()).isEqualTo(2);
        assertThat(result.directoriesCreated()).isEqualTo(1);
        assertThat(result.bytesCopied()).isEqualTo("FROM scratch".length() + "int main(){}".length());
    }

    @Test
    void secondSyncWithoutChangesReadsAndWritesNothing() throws Exception {
        write("a", "1");
        write("dir/b", "22");
        Files.createSymbolicLink(context.resolve("dir/link"), Path.of("b"));
        sync(SyncOptions.buildContext());
        SyncResult again = sync(SyncOptions.buildContext());
        assertThat(again.filesCopied()).isZero();
        assertThat(again.bytesCopied()).isZero();
        assertThat(again.symlinksWritten()).isZero();
        assertThat(again.removed()).isZero();
        assertThat(again.metadataUpdated()).isZero();
        assertThat(again.changedAnything()).isFalse();
        assertThat(again.unchanged()).isEqualTo(4);
    }

    @Test
    void aSyncGivenTheChecksumsScanMirrorsWhatThatScanSawAndIgnoresAScanOfAnotherTree() throws Exception {
        write("keep/a", "1");
        write("skip/b", "2");
        write("c", "3");
        SyncOptions options = SyncOptions.buildContext().withExcludePatterns(List.of("skip"));
        ContentChecksum.Listing listing = new ContentChecksum.Listing(10);
        new ContentChecksum(ChecksumIndex.inMemory())
                .checksum(context, new ChecksumSelector("/", true, false, List.of(), List.of("skip")), listing);
        ScannedTree scan = listing.scanned().orElseThrow();
        // a file made after the scan is not in it, so the sync that uses the scan does not see it
        write("late", "4");

        SyncResult result = LocalSync.sync(context, mirror, options, scan);

        assertThat(tree(mirror)).containsExactly("c", "keep", "keep/a");
        assertThat(result.filesCopied()).isEqualTo(2);

        Path other = Files.createDirectory(tmp.resolve("other"));
        Files.writeString(other.resolve("x"), "5");
        ContentChecksum.Listing otherListing = new ContentChecksum.Listing(10);
        new ContentChecksum(ChecksumIndex.inMemory())
                .checksum(other, new ChecksumSelector("/", true, false, List.of(), List.of()), otherListing);
        LocalSync.sync(context, mirror, options, otherListing.scanned().orElseThrow());
        assertThat(tree(mirror)).containsExactly("c", "keep", "keep/a", "late");
    }

    @Test
    void touchingOneFileCopiesExactlyThatFile() throws Exception {
        for (int i = 0; i < 5; i++) {
            write("pkg/f" + i, "content " + i);
        }
        sync(SyncOptions.buildContext());
        Files.setLastModifiedTime(context.resolve("pkg/f3"), FileTime.from(T0.plusSeconds(60)));
        SyncResult result = sync(SyncOptions.buildContext());
        assertThat(result.filesCopied()).isEqualTo(1);
        assertThat(result.bytesCopied()).isEqualTo("content 3".length());
        assertThat(result.unchanged()).isEqualTo(5);
        assertThat(FileStat.of(mirror.resolve("pkg/f3")).modified().toInstant()).isEqualTo(T0.plusSeconds(60));
    }

    @Test
    void changedContentAndModeAreCopiedAgain() throws Exception {
        write("script", "echo one");
        sync(SyncOptions.buildContext());
        write("script", "echo two, longer");
        SyncResult content = sync(SyncOptions.buildContext());
        assertThat(content.filesCopied()).isEqualTo(1);
        assertThat(mirror.resolve("script")).hasContent("echo two, longer");

        Files.setAttribute(context.resolve("script"), "unix:mode", 0755);
        SyncResult mode = sync(SyncOptions.buildContext());
        assertThat(mode.filesCopied()).isEqualTo(1);
        assertThat(FileStat.of(mirror.resolve("script")).permissions()).isEqualTo(0755);
    }

    @Test
    void removedFilesAndDirectoriesAreRemoved() throws Exception {
        write("keep", "k");
        write("gone/a", "a");
        write("gone/b", "b");
        write("alone", "x");
        sync(SyncOptions.buildContext());
        Files.delete(context.resolve("gone/a"));
        Files.delete(context.resolve("gone/b"));
        Files.delete(context.resolve("gone"));
        Files.delete(context.resolve("alone"));
        SyncResult result = sync(SyncOptions.buildContext());
        assertThat(tree(mirror)).containsExactly("keep");
        assertThat(result.removed()).isEqualTo(4);
        assertThat(result.filesCopied()).isZero();
    }

    @Test
    void anEntryThatChangesTypeIsReplaced() throws Exception {
        write("thing", "file first");
        sync(SyncOptions.buildContext());
        Files.delete(context.resolve("thing"));
        write("thing/inside", "now a directory");
        SyncResult result = sync(SyncOptions.buildContext());
        assertThat(mirror.resolve("thing/inside")).hasContent("now a directory");
        assertThat(result.directoriesCreated()).isEqualTo(1);
        assertThat(result.filesCopied()).isEqualTo(1);
    }

    @Test
    void symlinksAreMirroredAsLinksAndNeverFollowedOutOfTheContext() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "do not copy");
        Files.createSymbolicLink(context.resolve("escape"), outside);
        Files.createSymbolicLink(context.resolve("abs"), Path.of("/etc/passwd"));
        SyncResult result = sync(SyncOptions.buildContext());
        assertThat(Files.readSymbolicLink(mirror.resolve("escape"))).isEqualTo(outside);
        assertThat(Files.readSymbolicLink(mirror.resolve("abs"))).isEqualTo(Path.of("/etc/passwd"));
        assertThat(result.symlinksWritten()).isEqualTo(2);
        assertThat(result.bytesCopied()).isZero();

        Files.delete(context.resolve("abs"));
        Files.createSymbolicLink(context.resolve("abs"), Path.of("/etc/hosts"));
        SyncResult retarget = sync(SyncOptions.buildContext());
        assertThat(Files.readSymbolicLink(mirror.resolve("abs"))).isEqualTo(Path.of("/etc/hosts"));
        assertThat(retarget.symlinksWritten()).isEqualTo(1);
    }

    @Test
    void excludePatternsLeaveFilesOutAndRemoveThemFromAnEarlierMirror() throws Exception {
        write("app.py", "print()");
        write("node_modules/lib/index.js", "x");
        write("debug.log", "log");
        write("logs/keep.log", "k");
        sync(SyncOptions.buildContext());
        SyncResult result = sync(
                SyncOptions.buildContext().withExcludePatterns(List.of("node_modules", "*.log", "!logs/keep.log")));
        assertThat(tree(mirror)).containsExactly("app.py", "logs", "logs/keep.log");
        assertThat(result.removed()).isEqualTo(4);
    }

    @Test
    void includePatternsSelectWhatIsMirrored() throws Exception {
        write("src/a.go", "a");
        write("src/a_test.go", "t");
        write("docs/readme", "r");
        sync(SyncOptions.buildContext()
                .withIncludePatterns(List.of("src/*.go"))
                .withExcludePatterns(List.of("**/*_test.go")));
        assertThat(tree(mirror)).containsExactly("src", "src/a.go");
    }

    @Test
    void followPathsBringTheTargetsOfSymlinksInsideTheContext() throws Exception {
        write("build/Dockerfile.real", "FROM scratch");
        write("unrelated", "u");
        Files.createSymbolicLink(context.resolve("Dockerfile"), Path.of("build/Dockerfile.real"));
        sync(SyncOptions.buildContext().withFollowPaths(List.of("Dockerfile", "Dockerfile.dockerignore")));
        assertThat(tree(mirror)).containsExactly("Dockerfile", "build", "build/Dockerfile.real");
    }

    @Test
    void followPathsDoNotLeaveTheContext() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("Dockerfile"), "FROM evil");
        Files.createSymbolicLink(context.resolve("Dockerfile"), outside.resolve("Dockerfile"));
        sync(SyncOptions.buildContext().withFollowPaths(List.of("Dockerfile")));
        assertThat(tree(mirror)).containsExactly("Dockerfile");
        assertThat(Files.isSymbolicLink(mirror.resolve("Dockerfile"))).isTrue();
    }

    @Test
    void hardLinksInTheContextStayLinked() throws Exception {
        Path a = write("a", "same");
        Files.createLink(context.resolve("b"), a);
        sync(SyncOptions.buildContext());
        assertThat(FileStat.of(mirror.resolve("a")).inode())
                .isEqualTo(FileStat.of(mirror.resolve("b")).inode());
    }

    @Test
    void aMissingContextIsAClearError() {
        assertThatThrownBy(() -> LocalSync.sync(tmp.resolve("nope"), mirror, SyncOptions.buildContext()))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("the context is not a directory");
    }

    @Test
    void ownerNullKeepsTheContextOwners() throws Exception {
        write("f", "x");
        Files.setAttribute(context.resolve("f"), "unix:uid", 1234);
        LocalSync.sync(context, mirror, SyncOptions.buildContext().withOwner(null));
        assertThat(FileStat.of(mirror.resolve("f")).uid()).isEqualTo(1234);
    }
}
