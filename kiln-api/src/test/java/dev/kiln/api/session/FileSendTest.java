package dev.kiln.api.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** FileSend through a real session tunnel: the daemon pushes exports, the client writes them. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FileSendTest {

    @TempDir
    Path tmp;

    @Test
    void fileExportLandsWholeAtItsPathAndStreamExportIsFlushedNotClosed() throws Exception {
        byte[] data = new byte[5 * 1024 * 1024 + 17];
        new Random(7).nextBytes(data);
        Path out = tmp.resolve("image.tar");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream() {
            @Override
            public void close() {
                throw new AssertionError("stdout must not be closed");
            }
        };
        var targets = Map.<Integer, FileTarget>of(0, new FileTarget.ToFile(out), 1, new FileTarget.ToStream(stdout));
        try (SessionFixture s = new SessionFixture(tmp, List.of(new FileSendService(targets)))) {
            try (OutputStream os =
                    FileSendPush.openFile(s.daemonChannel(), 0, Map.of("containerimage.digest", "sha256:x"))) {
                os.write(data, 0, 1000);
                os.write(data, 1000, data.length - 1000);
            }
            assertThat(Files.readAllBytes(out)).isEqualTo(data);
            try (Stream<Path> files = Files.list(tmp)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".kiln-"));
            }
            try (OutputStream os = FileSendPush.openFile(s.daemonChannel(), 1, Map.of())) {
                os.write("to stdout".getBytes());
            }
            assertThat(stdout.toString()).isEqualTo("to stdout");
        }
    }

    @Test
    void unknownExporterFailsTheWriterWithTheClientsError() throws Exception {
        try (SessionFixture s = new SessionFixture(tmp, List.of(new FileSendService(Map.of())))) {
            OutputStream os = FileSendPush.openFile(s.daemonChannel(), 7, Map.of());
            os.write(1);
            assertThatThrownBy(os::close).isInstanceOf(IOException.class).hasMessage("exporter 7 not found");
        }
    }

    @Test
    void directoryExportIsMergedIntoTheTargetAsTheClientsUser() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        FileSyncTest.makeTree(src);
        Path dest = Files.createDirectories(tmp.resolve("dest"));
        Files.writeString(dest.resolve("already-there"), "kept");
        try (SessionFixture s =
                new SessionFixture(tmp, List.of(new FileSendService(Map.of(2, new FileTarget.ToDirectory(dest)))))) {
            FileSendPush.sendDirectory(s.daemonChannel(), 2, src);
        }
        assertThat(Files.readString(dest.resolve("already-there"))).isEqualTo("kept");
        Map<String, String> want = FileSyncTest.snapshot(src);
        Map<String, String> got = FileSyncTest.snapshot(dest);
        got.remove("already-there");
        // Everything arrives owned by the client's user (root here), the rest as sent.
        want.replaceAll((k, v) -> v.replaceFirst(" \\d+:\\d+ ", " 0:0 "));
        assertThat(got).isEqualTo(want);
        assertThat(Files.isSameFile(dest.resolve("hard"), dest.resolve("a/big.bin")))
                .isTrue();
    }
}
