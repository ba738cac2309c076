package dev.kiln.api.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.kiln.api.filesync.FileSyncGrpc;
import dev.kiln.api.fsutil.Packet;
import dev.kiln.api.fsutil.Stat;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** FileSync through a real session tunnel: the client sends its directory, the daemon pulls it. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FileSyncTest {

    @TempDir
    Path tmp;

    /** A session whose client serves {@code dir} as its directory "context", the daemon's name for it. */
    private SessionFixture servingContext(Path dir) throws Exception {
        return new SessionFixture(tmp, List.of(new FileSyncService(Map.of("context", dir))));
    }

    @Test
    void pullCopiesTreeWithModesTimesLinksAndOwners() throws Exception {
        Path src = makeTree(Files.createDirectories(tmp.resolve("src")));
        Path target = tmp.resolve("target");
        try (SessionFixture s = servingContext(src)) {
            FileSyncPull.Transfer t = FileSyncPull.pull(s.daemonChannel(), "context", FileFilter.NONE, target);
            assertThat(snapshot(target)).isEqualTo(snapshot(src));
            assertThat(Files.isSameFile(target.resolve("a/big.bin"), target.resolve("hard")))
                    .isTrue();
            assertThat(Files.readSymbolicLink(target.resolve("a/link"))).isEqualTo(Path.of("../empty"));
            assertThat(t.files()).isEqualTo(5);
            assertThat(t.bytesReceived()).isEqualTo(20L * 1024 * 1024 + 5 + 4 + 3);
        }
    }

    @Test
    void sessionHeadersListTheClientsMethods() throws Exception {
        try (SessionFixture s = new SessionFixture(tmp, List.of(new FileSyncService(Map.of())))) {
            var headers = s.sessionHeaders.get(10, TimeUnit.SECONDS);
            assertThat(headers.getAll(SessionHeaders.GRPC_METHOD))
                    .contains("/moby.filesync.v1.FileSync/DiffCopy", "/grpc.health.v1.Health/Check");
            assertThat(headers.get(SessionHeaders.SHARED_KEY)).isEqualTo("shared");
            assertThat(headers.get(SessionHeaders.NAME)).isEqualTo("test");
        }
    }

    @Test
    void secondPullRequestsOnlyTheChangedFileAndRemovesDeletedOnes() throws Exception {
        Path src = makeTree(Files.createDirectories(tmp.resolve("src")));
        Path target = tmp.resolve("target");
        try (SessionFixture s = servingContext(src)) {
            FileSyncPull.pull(s.daemonChannel(), "context", FileFilter.NONE, target);
            Object bigInode = Files.getAttribute(target.resolve("a/big.bin"), "unix:ino");

            Files.writeString(src.resolve("a/b/c.txt"), "changed!");
            Files.delete(src.resolve("exec.sh"));
            Files.createDirectory(target.resolve("stray"));
            Files.writeString(target.resolve("stray/file"), "left over");

            FileSyncPull.Transfer t = FileSyncPull.pull(s.daemonChannel(), "context", FileFilter.NONE, target);
            assertThat(t.files()).isEqualTo(1);
            assertThat(t.bytesReceived()).isEqualTo("changed!".length());
            assertThat(snapshot(target)).isEqualTo(snapshot(src));
            assertThat(target.resolve("exec.sh")).doesNotExist();
            assertThat(target.resolve("stray")).doesNotExist();
            assertThat(Files.getAttribute(target.resolve("a/big.bin"), "unix:ino"))
                    .isEqualTo(bigInode);
        }
    }

    @Test
    void includeExcludeAndFollowPathsFilterLikeBuildKit() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.createDirectories(src.resolve("app/logs"));
        Files.createDirectories(src.resolve("docs"));
        Files.writeString(src.resolve("app/main.go"), "package main");
        Files.writeString(src.resolve("app/logs/a.log"), "a");
        Files.writeString(src.resolve("app/logs/keep.log"), "k");
        Files.writeString(src.resolve("docs/readme.md"), "doc");
        Files.writeString(src.resolve("top.log"), "t");
        Path target = tmp.resolve("target");
        try (SessionFixture s = servingContext(src)) {
            FileFilter filter =
                    new FileFilter(List.of("app", "top.log"), List.of("**/*.log", "!app/logs/keep.log"), List.of());
            FileSyncPull.pull(s.daemonChannel(), "context", filter, target);
            assertThat(snapshot(target).keySet())
                    .containsExactly("app", "app/logs", "app/logs/keep.log", "app/main.go");

            // Follow paths: a Dockerfile that is a symlink arrives with its target, nothing else does.
            Files.writeString(src.resolve("docs/Dockerfile.real"), "FROM scratch");
            Files.createSymbolicLink(src.resolve("Dockerfile"), Path.of("docs/Dockerfile.real"));
            Path df = tmp.resolve("df");
            FileSyncPull.pull(
                    s.daemonChannel(), "context", new FileFilter(List.of(), List.of(), List.of("Dockerfile")), df);
            assertThat(snapshot(df).keySet()).containsExactly("Dockerfile", "docs", "docs/Dockerfile.real");
        }
    }

    @Test
    void unknownDirectoryIsNotFound() throws Exception {
        try (SessionFixture s = servingContext(tmp)) {
            assertThatThrownBy(() -> FileSyncPull.pull(s.daemonChannel(), "nope", FileFilter.NONE, tmp.resolve("t")))
                    .isInstanceOf(IOException.class)
                    .hasMessage("no access allowed to dir \"nope\"")
                    .cause()
                    .satisfies(
                            c -> assertThat(Status.fromThrowable(c).getCode()).isEqualTo(Status.Code.NOT_FOUND));
        }
    }

    @Test
    void senderPathWithDotDotIsRefusedAndNothingIsWrittenOutside() throws Exception {
        Path target = tmp.resolve("box/target");
        List<Packet> packets = List.of(
                stat(Stat.newBuilder().setPath("../x").setMode(0644).setSize(1)),
                Packet.newBuilder().setType(Packet.PacketType.PACKET_STAT).build());
        try (SessionFixture s = new SessionFixture(tmp, List.of(malicious(packets)))) {
            assertThatThrownBy(() -> FileSyncPull.pull(s.daemonChannel(), "context", FileFilter.NONE, target))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("\"../x\"")
                    .hasMessageContaining("escapes");
        }
        assertThat(tmp.resolve("box/x")).doesNotExist();
        try (Stream<Path> files = Files.list(tmp.resolve("box"))) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void senderWritingThroughASymlinkIsRefused() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path target = tmp.resolve("target");
        List<Packet> packets = List.of(
                stat(Stat.newBuilder()
                        .setPath("link")
                        .setMode(GoFileMode.SYMLINK | 0777)
                        .setLinkname(outside.toString())),
                stat(Stat.newBuilder().setPath("link/x").setMode(0644).setSize(1)),
                Packet.newBuilder().setType(Packet.PacketType.PACKET_STAT).build());
        try (SessionFixture s = new SessionFixture(tmp, List.of(malicious(packets)))) {
            assertThatThrownBy(() -> FileSyncPull.pull(s.daemonChannel(), "context", FileFilter.NONE, target))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("\"link/x\"");
        }
        try (Stream<Path> files = Files.list(outside)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void clientGoneMidTransferFailsThePullInsteadOfHanging() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        byte[] chunk = new byte[1 << 20];
        new Random(1).nextBytes(chunk);
        try (var out = Files.newOutputStream(src.resolve("huge.bin"))) {
            for (int i = 0; i < 256; i++) {
                out.write(chunk);
            }
        }
        Path target = tmp.resolve("target");
        try (SessionFixture s = servingContext(src)) {
            var channel = s.daemonChannel();
            CompletableFuture<FileSyncPull.Transfer> pull = CompletableFuture.supplyAsync(() -> {
                try {
                    return FileSyncPull.pull(channel, "context", FileFilter.NONE, target);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Path landing = target.resolve("huge.bin");
            while (!Files.exists(landing) || Files.size(landing) == 0) {
                assertThat(pull).isNotDone();
                Thread.sleep(5);
            }
            s.clientTunnel.close();
            assertThatThrownBy(() -> pull.get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .rootCause()
                    .isInstanceOf(io.grpc.StatusException.class);
        }
    }

    /** A client that sends {@code packets} whatever the daemon asks, then waits for the daemon to end. */
    private static BindableService malicious(List<Packet> packets) {
        return () -> ServerServiceDefinition.builder(FileSyncGrpc.getServiceDescriptor())
                .addMethod(
                        FileSyncGrpc.getDiffCopyMethod(),
                        CallStream.<Packet, Packet>handler("evil", (stream, headers) -> {
                            for (Packet p : packets) {
                                stream.send(p);
                            }
                            while (stream.receive() != null) {
                                // Read whatever comes until the daemon gives up.
                            }
                        }))
                .addMethod(
                        FileSyncGrpc.getTarStreamMethod(),
                        CallStream.<Packet, Packet>handler("evil", (stream, h) -> {}))
                .build();
    }

    private static Packet stat(Stat.Builder stat) {
        return Packet.newBuilder()
                .setType(Packet.PacketType.PACKET_STAT)
                .setStat(stat)
                .build();
    }

    /**
     * A tree with what a context can hold: nested directories with their own modes, an empty file, a 20 MiB
     * file and a hard link to it, relative and absolute symlinks, a setuid executable, a file of another
     * owner, and mtimes with nanoseconds. Returns {@code src}.
     */
    static Path makeTree(Path src) throws IOException {
        Files.createDirectories(src.resolve("a/b"));
        Files.createDirectories(src.resolve("d-empty"));
        Files.writeString(src.resolve("a/b/c.txt"), "hello");
        Files.writeString(src.resolve("exec.sh"), "#!/x");
        Files.writeString(src.resolve("owned"), "own");
        Files.createFile(src.resolve("empty"));
        byte[] big = new byte[20 * 1024 * 1024];
        new Random(42).nextBytes(big);
        Files.write(src.resolve("a/big.bin"), big);
        Files.createLink(src.resolve("hard"), src.resolve("a/big.bin"));
        Files.createSymbolicLink(src.resolve("a/link"), Path.of("../empty"));
        Files.createSymbolicLink(src.resolve("abs-link"), Path.of("/etc/hostname"));
        Files.setAttribute(src.resolve("exec.sh"), "unix:mode", 04755);
        Files.setAttribute(src.resolve("a/b"), "unix:mode", 0750);
        Files.setAttribute(src.resolve("owned"), "unix:uid", 1234);
        Files.setAttribute(src.resolve("owned"), "unix:gid", 5678);
        long t = 1_700_000_000_123_456_789L;
        for (String p : List.of("a/b/c.txt", "exec.sh", "owned", "empty", "a/big.bin", "a/b", "a", "d-empty")) {
            Files.setLastModifiedTime(src.resolve(p), GoFileMode.time(t += 1_000_000_007L));
        }
        return src;
    }

    /** Every entry under root (not root itself): type, mode, owner, mtime in ns, size and content digest. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                if (p.equals(root)) {
                    continue;
                }
                String rel = root.relativize(p).toString();
                Map<String, Object> a =
                        Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
                StringBuilder d = new StringBuilder();
                d.append(Integer.toOctalString((Integer) a.get("mode")))
                        .append(' ')
                        .append(a.get("uid"))
                        .append(':')
                        .append(a.get("gid"))
                        .append(" t=")
                        .append(GoFileMode.nanos((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")));
                if (Files.isSymbolicLink(p)) {
                    d.append(" -> ").append(Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    d.append(" size=").append(a.get("size")).append(" sha256=").append(sha256(p));
                }
                out.put(rel, d.toString());
            }
        }
        return out;
    }

    private static String sha256(Path p) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(p)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static ByteString bytes(String s) {
        return ByteString.copyFromUtf8(s);
    }
}
