package dev.kiln.engine;

import static dev.kiln.engine.ExportedFiles.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.FileRange;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.ReadDirRequest;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.gateway.Stat;
import dev.kiln.gateway.StatRequest;
import dev.kiln.llb.CreatedAt;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.MkdirOption;
import dev.kiln.llb.Owner;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A frontend's reads of a solved result through the gateway Client's Reference. */
class ReferenceReadTest {

    private static final Instant WHEN = Instant.parse("2022-05-06T07:08:09.123456789Z");

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    /** The files the reads look at: on top of the busybox rootfs. */
    private static State tree() {
        return EngineFixture.base()
                .file(FileAction.mkdir("/data/sub", 0750, MkdirOption.makeParents())
                        .mkfile(
                                "/data/hello.txt",
                                0640,
                                bytes("hello, reference\n"),
                                Owner.ids(1000, 50),
                                CreatedAt.of(WHEN))
                        .mkfile("/data/notes.md", 0600, bytes("# notes\n"))
                        .mkfile("/data/setuid", 0755, bytes("#!/bin/sh\n"))
                        .symlink("hello.txt", "/data/link")
                        .symlink("../../../../../../../..", "/data/up"))
                // FileOp modes are permission bits only (as in BuildKit), so the setuid bit comes from chmod.
                .run(RunOption.sh("chmod 4755 /data/setuid && mknod /data/null c 1 3 && mkfifo /data/pipe"))
                .root();
    }

    /** Runs a frontend that solves {@link #tree()} and hands its reference to {@code reads}. */
    private static <T> T withReference(ReferenceReads<T> reads) throws Exception {
        AtomicReference<T> seen = new AtomicReference<>();
        BuildFunction frontend = client -> {
            Result result = client.solve(SolveRequest.of(tree().marshal()));
            Reference ref = result.ref().orElseThrow();
            seen.set(reads.read(client, ref));
            return result;
        };
        kiln.run(new FrontendSpec.Function("reads", frontend));
        return seen.get();
    }

    @FunctionalInterface
    private interface ReferenceReads<T> {
        T read(Client client, Reference ref) throws Exception;
    }

    @Test
    void readFileReturnsTheWholeFile() throws Exception {
        byte[] content = withReference((client, ref) -> ref.readFile(ReadRequest.of("/data/hello.txt")));

        assertThat(new String(content, StandardCharsets.UTF_8)).isEqualTo("hello, reference\n");
    }

    @Test
    void readFileWithRangeReturnsThatSliceCutAtTheEnd() throws Exception {
        List<String> slices = withReference((client, ref) -> List.of(
                text(ref.readFile(new ReadRequest("/data/hello.txt", new FileRange(7, 9)))),
                text(ref.readFile(new ReadRequest("/data/hello.txt", new FileRange(11, 100)))),
                text(ref.readFile(new ReadRequest("/data/hello.txt", new FileRange(1000, 5))))));

        assertThat(slices).containsExactly("reference", "rence\n", "");
    }

    @Test
    void readFileFollowsASymlinkInsideTheResult() throws Exception {
        byte[] content = withReference((client, ref) -> ref.readFile(ReadRequest.of("data/link")));

        assertThat(text(content)).isEqualTo("hello, reference\n");
    }

    @Test
    void pathThroughASymlinkClimbingOutOfTheRootStaysInside() throws Exception {
        String passwd = withReference((client, ref) -> {
            try {
                return text(ref.readFile(ReadRequest.of("/data/up/etc/passwd")));
            } catch (GatewayException refused) {
                return "refused: " + refused.getMessage();
            }
        });

        // Either the result's own /etc/passwd (the link clamped at the root) or a refusal: never the host's.
        assertThat(passwd)
                .satisfiesAnyOf(
                        text -> assertThat(text).contains("user:x:1000:1000:Test User"),
                        text -> assertThat(text).startsWith("refused: ").contains("/data/up"));
    }

    @Test
    void readingAMissingFileIsAGatewayErrorNamingIt() {
        assertThatThrownBy(() -> withReference((client, ref) -> ref.readFile(ReadRequest.of("/data/absent.txt"))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("/data/absent.txt")
                .hasRootCauseInstanceOf(java.nio.file.NoSuchFileException.class)
                .cause()
                .isInstanceOf(GatewayException.class);
    }

    @Test
    void readingADirectoryAsAFileIsAnError() {
        assertThatThrownBy(() -> withReference((client, ref) -> ref.readFile(ReadRequest.of("/data"))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("/data")
                .hasMessageContaining("is a directory");
    }

    @Test
    void statFileGivesGoModeOwnerSizeAndTime() throws Exception {
        Stat stat = withReference((client, ref) -> ref.statFile(new StatRequest("/data/hello.txt")));

        assertThat(stat.path()).isEqualTo("/data/hello.txt");
        assertThat(stat.mode()).isEqualTo(0640);
        assertThat(stat.isRegularFile()).isTrue();
        assertThat(stat.uid()).isEqualTo(1000);
        assertThat(stat.gid()).isEqualTo(50);
        assertThat(stat.size()).isEqualTo("hello, reference\n".length());
        assertThat(stat.modTime()).isEqualTo(WHEN.getEpochSecond() * 1_000_000_000L + WHEN.getNano());
    }

    @Test
    void statOfDirectorySymlinkAndSetuidFileUsesGoTypeBits() throws Exception {
        List<Stat> stats = withReference((client, ref) -> List.of(
                ref.statFile(new StatRequest("/data/sub")),
                ref.statFile(new StatRequest("/data/link")),
                ref.statFile(new StatRequest("/data/setuid"))));

        assertThat(stats.get(0).mode()).isEqualTo(Stat.MODE_DIR | 0750);
        assertThat(stats.get(0).isDir()).isTrue();
        assertThat(stats.get(1).mode()).isEqualTo(Stat.MODE_SYMLINK | 0777);
        assertThat(stats.get(1).linkname()).isEqualTo("hello.txt");
        assertThat(stats.get(2).mode()).isEqualTo(Stat.MODE_SETUID | 0755);
    }

    @Test
    void statOfDevicesAndFifosGivesTheirTypeAndDeviceNumbers() throws Exception {
        List<Stat> stats = withReference((client, ref) ->
                List.of(ref.statFile(new StatRequest("/data/null")), ref.statFile(new StatRequest("/data/pipe"))));

        assertThat(stats.get(0).mode() & ~0777).isEqualTo(Stat.MODE_DEVICE | Stat.MODE_CHAR_DEVICE);
        assertThat(stats.get(0).devmajor()).isEqualTo(1);
        assertThat(stats.get(0).devminor()).isEqualTo(3);
        assertThat(stats.get(0).size()).isZero();
        assertThat(stats.get(1).mode() & ~0777).isEqualTo(Stat.MODE_NAMED_PIPE);
    }

    @Test
    void statOfAMissingPathIsAGatewayErrorNamingIt() {
        assertThatThrownBy(() -> withReference((client, ref) -> ref.statFile(new StatRequest("/nope"))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("/nope")
                .cause()
                .isInstanceOf(GatewayException.class);
    }

    @Test
    void readDirListsEntriesSortedWithTheirStats() throws Exception {
        List<Stat> entries = withReference((client, ref) -> ref.readDir(ReadDirRequest.of("/data")));

        assertThat(entries)
                .extracting(Stat::path)
                .containsExactly("hello.txt", "link", "notes.md", "null", "pipe", "setuid", "sub", "up");
        assertThat(entries.get(6).isDir()).isTrue();
        assertThat(entries.get(0).size()).isEqualTo("hello, reference\n".length());
    }

    @Test
    void readDirWithIncludePatternListsOnlyMatches() throws Exception {
        List<Stat> entries = withReference((client, ref) -> ref.readDir(new ReadDirRequest("/data", "*.md")));

        assertThat(entries).extracting(Stat::path).containsExactly("notes.md");
    }

    @Test
    void readDirOfAMissingDirectoryIsAGatewayError() {
        assertThatThrownBy(() -> withReference((client, ref) -> ref.readDir(ReadDirRequest.of("/no-such-dir"))))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("/no-such-dir");
    }

    @Test
    void referenceGivesItsStateBackForFurtherBuilding() throws Exception {
        String added = withReference((client, ref) -> {
            State more = ref.toState().file(FileAction.mkfile("/data/added", 0644, bytes("added\n")));
            Reference next = client.solve(SolveRequest.of(more.marshal())).ref().orElseThrow();
            return text(next.readFile(ReadRequest.of("/data/added")))
                    + text(next.readFile(ReadRequest.of("/data/hello.txt")));
        });

        assertThat(added).isEqualTo("added\nhello, reference\n");
    }

    private static String text(byte[] content) {
        return new String(content, StandardCharsets.UTF_8);
    }
}
