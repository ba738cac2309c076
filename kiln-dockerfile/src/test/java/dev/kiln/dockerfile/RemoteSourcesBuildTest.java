package dev.kiln.dockerfile;

import static dev.kiln.worker.GitDaemon.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.worker.BusyboxImage;
import dev.kiln.worker.GitDaemon;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dockerfiles whose sources are remote: FROM an image in a registry, ADD of an http URL (with and
 * without --checksum) and of a git repository, all served on 127.0.0.1.
 */
class RemoteSourcesBuildTest {

    private static final String PAYLOAD = "downloaded over http\n";

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    static LocalRegistry registry;
    static ImageReference base;
    static HttpServer http;
    static GitDaemon gitDaemon;

    @BeforeAll
    static void start() throws Exception {
        registry = LocalRegistry.anonymous().start();
        base = registry.reference("library/base:1");
        try (RegistryClient client = RegistryClient.builder().build()) {
            BusyboxImage.push(client, base, builds.dir);
        }
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/files/payload.txt", exchange -> {
            byte[] body = PAYLOAD.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        http.start();
        Path repos = Files.createDirectories(builds.dir.resolve("git"));
        Path repo = repos.resolve("tool.git");
        git(repos, "init", "-q", "-b", "main", repo.toString());
        Files.writeString(repo.resolve("tool.sh"), "echo tool\n");
        git(repo, "add", ".");
        git(repo, "commit", "-q", "-m", "tool");
        gitDaemon = GitDaemon.serve(repos, builds.dir.resolve("git-daemon.log"));
    }

    @AfterAll
    static void stop() throws Exception {
        http.stop(0);
        gitDaemon.close();
        registry.close();
    }

    private static Path context(String name, String dockerfile) throws IOException {
        return builds.context(name, Map.of("Dockerfile", dockerfile));
    }

    @Test
    void fromARegistryImageTakesItsConfigAndFiles() throws Exception {
        Path ctx = context("from-registry", "FROM " + base + "\nRUN echo \"$PATH\" > /path.txt\n");

        DockerfileBuilds.Build build = builds.build(ctx, Map.of());

        assertThat(build.out().resolve("bin/busybox")).isRegularFile();
        assertThat(build.out().resolve("path.txt")).content().contains("/usr/bin");
        JsonNode config = new ObjectMapper().readTree(build.config());
        assertThat(config.at("/config/Cmd/0").asText()).isEqualTo("sh");
    }

    @Test
    void addOfAnHttpUrlVerifiesTheChecksum() throws Exception {
        String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/files/payload.txt";
        Digest right = Digest.sha256(PAYLOAD.getBytes(StandardCharsets.UTF_8));
        Path ok = context(
                "add-http",
                "FROM busybox\nADD --checksum=" + right + " " + url + " /downloads/\n" + "ADD " + url
                        + " /plain.txt\n");

        DockerfileBuilds.Build build = builds.build(ok, Map.of());

        assertThat(build.out().resolve("downloads/payload.txt")).hasContent(PAYLOAD);
        assertThat(build.out().resolve("plain.txt")).hasContent(PAYLOAD);

        Digest wrong = Digest.sha256("other".getBytes(StandardCharsets.UTF_8));
        Path bad = context("add-http-bad", "FROM busybox\nADD --checksum=" + wrong + " " + url + " /x\n");
        assertThatThrownBy(() -> builds.build(bad, Map.of())).hasMessageContaining("digest mismatch");
    }

    @Test
    void addOfAGitRepositoryChecksItOut() throws Exception {
        Path ctx = context(
                "add-git",
                "FROM busybox\nADD " + gitDaemon.url("tool.git") + "#main /tool\n"
                        + "RUN sh /tool/tool.sh > /ran.txt\n");

        DockerfileBuilds.Build build = builds.build(ctx, Map.of());

        assertThat(build.out().resolve("ran.txt")).hasContent("tool\n");
        assertThat(build.out().resolve("tool/.git")).doesNotExist();
    }
}
