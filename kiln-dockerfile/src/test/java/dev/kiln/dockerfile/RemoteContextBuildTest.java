package dev.kiln.dockerfile;

import static dev.kiln.worker.GitDaemon.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.worker.GitDaemon;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Builds whose context option is a URL, as {@code buildctl --opt context=URL} and
 * {@code docker buildx build URL} send it: a git repository served by a git daemon on 127.0.0.1, and a tarball and
 * a plain Dockerfile served over http on 127.0.0.1. The local context and Dockerfile directories the builds are
 * also given are empty, so every file a build sees came from the URL.
 */
class RemoteContextBuildTest {

    private static final String COPY_AND_READ =
            "FROM busybox\nCOPY . /src\nRUN cat /src/hello.txt > /seen.txt && ls -a /src > /listing.txt\n";

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    static GitDaemon gitDaemon;
    static HttpServer http;
    static Path empty;

    @BeforeAll
    static void start() throws Exception {
        Path repos = Files.createDirectories(builds.dir.resolve("git"));
        Path repo = repos.resolve("app.git");
        git(repos, "init", "-q", "-b", "main", repo.toString());
        write(repo, "Dockerfile", COPY_AND_READ);
        write(repo, "hello.txt", "hello from git\n");
        write(repo, "notes.txt", "listed in .dockerignore\n");
        write(repo, ".dockerignore", "notes.txt\n");
        write(repo, "sub/Dockerfile", "FROM busybox\nCOPY part.txt /part.txt\nRUN ls / > /root-listing.txt\n");
        write(repo, "sub/part.txt", "part one\n");
        write(repo, "no-dockerfile/readme.txt", "nothing to build\n");
        git(repo, "add", ".");
        git(repo, "commit", "-q", "-m", "one");
        git(repo, "tag", "v1");
        write(repo, "sub/part.txt", "part two\n");
        git(repo, "commit", "-q", "-am", "two");
        gitDaemon = GitDaemon.serve(repos, builds.dir.resolve("git-daemon.log"));

        Map<String, String> tarred = new LinkedHashMap<>();
        tarred.put("Dockerfile", COPY_AND_READ);
        tarred.put("hello.txt", "hello from a tarball\n");
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        serve("/ctx.tar.gz", gzip(tar(tarred)));
        serve("/Dockerfile.remote", "FROM busybox\nRUN echo plain > /plain.txt\n".getBytes(StandardCharsets.UTF_8));
        serve("/not-a-tar.gz", gzip("just some text, no tar header\n".getBytes(StandardCharsets.UTF_8)));
        http.start();
        empty = builds.context("empty", Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        http.stop(0);
        gitDaemon.close();
    }

    @Test
    void aGitRepositoryIsTheContextAndHoldsTheDockerfile() throws Exception {
        DockerfileBuilds.Build build = builds.build(empty, Map.of("context", gitDaemon.url("app.git") + "#main"));

        assertThat(build.out().resolve("seen.txt")).hasContent("hello from git\n");
        // BuildKit reads no .dockerignore for a remote context: the repository is the context as it is
        assertThat(build.out().resolve("src/notes.txt")).hasContent("listed in .dockerignore\n");
        assertThat(build.out().resolve("listing.txt")).content().doesNotContain(".git\n");
    }

    @Test
    void aRefAndSubdirectoryPickTheCommitAndTheDirectoryThatIsTheContext() throws Exception {
        DockerfileBuilds.Build build = builds.build(empty, Map.of("context", gitDaemon.url("app.git") + "#v1:sub"));

        assertThat(build.out().resolve("part.txt")).hasContent("part one\n");
    }

    @Test
    void contextsubdirScopesTheContextButNotWhereTheDockerfileIsRead() throws Exception {
        DockerfileBuilds.Build build = builds.build(
                empty,
                Map.of(
                        "context", gitDaemon.url("app.git") + "#main",
                        "filename", "sub/Dockerfile",
                        "contextsubdir", "sub"));

        assertThat(build.out().resolve("part.txt")).hasContent("part two\n");
    }

    @Test
    void aGitContextWithoutTheDockerfileOrNotThereAtAllNamesTheUrl() {
        String noDockerfile = gitDaemon.url("app.git") + "#main:no-dockerfile";
        assertThatThrownBy(() -> builds.build(empty, Map.of("context", noDockerfile)))
                .hasMessageContaining("failed to read dockerfile Dockerfile from remote context " + noDockerfile)
                .hasMessageContaining("no such file");

        String missing = gitDaemon.url("missing.git") + "#main";
        assertThatThrownBy(() -> builds.build(empty, Map.of("context", missing)))
                .hasMessageContaining("failed to load remote context " + missing)
                .hasMessageContaining("repository not exported");
    }

    @Test
    void theKeepGitDirBuildArgumentKeepsTheRepositoryInTheContext() throws Exception {
        DockerfileBuilds.Build build = builds.build(
                empty,
                Map.of("context", gitDaemon.url("app.git") + "#main", "build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR", "1"));

        assertThat(build.out().resolve("listing.txt")).content().contains(".git\n");
    }

    @Test
    void aDockerfilekeyReadsTheDockerfileFromThatLocalWithTheRemoteContext() throws Exception {
        Path local = builds.context("local-dockerfile", Map.of("Dockerfile", "FROM busybox\nCOPY hello.txt /h.txt\n"));

        DockerfileBuilds.Build build = builds.build(
                empty,
                Map.of("context", gitDaemon.url("app.git") + "#main", "dockerfilekey", "mine"),
                Map.of("mine", local));

        assertThat(build.out().resolve("h.txt")).hasContent("hello from git\n");
        assertThat(build.out().resolve("seen.txt")).doesNotExist();
    }

    @Test
    void aNamedGitContextTakesItsRefAndSubdirectoryAsTheMainOneDoes() throws Exception {
        Path local = builds.context("named-git", Map.of("Dockerfile", "FROM busybox\nCOPY --from=app part.txt /\n"));

        DockerfileBuilds.Build build = builds.build(local, Map.of("context:app", gitDaemon.url("app.git") + "#v1:sub"));

        assertThat(build.out().resolve("part.txt")).hasContent("part one\n");
    }

    @Test
    void aDownloadedTarballIsUnpackedAsTheContext() throws Exception {
        DockerfileBuilds.Build build = builds.build(empty, Map.of("context", url("/ctx.tar.gz")));

        assertThat(build.out().resolve("seen.txt")).hasContent("hello from a tarball\n");
        assertThat(build.out().resolve("src/Dockerfile")).hasContent(COPY_AND_READ);
    }

    @Test
    void aDownloadedFileThatIsNoArchiveIsTheDockerfile() throws Exception {
        DockerfileBuilds.Build build = builds.build(empty, Map.of("context", url("/Dockerfile.remote")));

        assertThat(build.out().resolve("plain.txt")).hasContent("plain\n");
    }

    @Test
    void aDownloadThatFailsOrIsCompressedButNoTarNamesTheUrl() {
        String missing = url("/missing.tar.gz");
        assertThatThrownBy(() -> builds.build(empty, Map.of("context", missing)))
                .hasMessageContaining("failed to download remote context " + missing)
                .hasMessageContaining("404");

        String notTar = url("/not-a-tar.gz");
        assertThatThrownBy(() -> builds.build(empty, Map.of("context", notTar)))
                .hasMessageContaining("remote context " + notTar + " is gzip-compressed but not a tar archive");
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + http.getAddress().getPort() + path;
    }

    private static void serve(String path, byte[] body) {
        http.createContext(path, exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
    }

    private static void write(Path dir, String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    private static byte[] tar(Map<String, String> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            for (Map.Entry<String, String> file : files.entrySet()) {
                byte[] data = file.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry entry = new TarArchiveEntry(file.getKey());
                entry.setSize(data.length);
                out.putArchiveEntry(entry);
                out.write(data);
                out.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }
}
