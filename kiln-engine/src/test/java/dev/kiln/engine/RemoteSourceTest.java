package dev.kiln.engine;

import static dev.kiln.worker.GitDaemon.git;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.core.Digest;
import dev.kiln.llb.GitOption;
import dev.kiln.llb.HttpOption;
import dev.kiln.llb.State;
import dev.kiln.worker.GitDaemon;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** http(s):// and git:// sources against a real HTTP server and a real git daemon on 127.0.0.1. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteSourceTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    HttpServer http;
    final AtomicReference<String> served = new AtomicReference<>("first version\n");
    final AtomicInteger downloads = new AtomicInteger();
    GitDaemon gitDaemon;
    Path repo;

    @BeforeAll
    void start() throws Exception {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/files/hello.txt", exchange -> {
            byte[] body = served.get().getBytes(StandardCharsets.UTF_8);
            String etag = "\"" + Digest.sha256(body).hex() + "\"";
            exchange.getResponseHeaders().add("ETag", etag);
            if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                exchange.sendResponseHeaders(304, -1);
            } else {
                downloads.incrementAndGet();
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        http.start();

        Path base = Files.createDirectories(kiln.dir.resolve("git"));
        repo = base.resolve("repo.git");
        git(base, "init", "-q", "-b", "main", repo.toString());
        Files.writeString(repo.resolve("README"), "version one\n");
        Files.createDirectories(repo.resolve("docs"));
        Files.writeString(repo.resolve("docs/guide.txt"), "guide\n");
        git(repo, "add", ".");
        git(repo, "commit", "-q", "-m", "one");
        gitDaemon = GitDaemon.serve(base, kiln.dir.resolve("git-daemon.log"));
    }

    @AfterAll
    void stop() throws Exception {
        http.stop(0);
        gitDaemon.close();
    }

    private String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort() + "/files/hello.txt";
    }

    @Test
    void httpSourceDownloadsOneFileWithItsNameModeAndOwner() throws Exception {
        Path out = kiln.build(State.http(url(), HttpOption.chmod(0640), HttpOption.chown(1000, 50)));

        Path file = out.resolve("hello.txt");
        assertThat(file).hasContent(served.get());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-r-----");
        assertThat(ExportedFiles.imageOwner(out, "hello.txt")).isEqualTo("1000:50");
    }

    @Test
    void httpSourceIsCachedUntilTheServerContentChanges() throws Exception {
        State source = State.http(url(), HttpOption.filename("greeting"));
        served.set("stable\n");
        kiln.build(source);

        kiln.build(source);
        assertThat(kiln.executed()).isEmpty();

        served.set("changed\n");
        Path out = kiln.build(source);
        assertThat(kiln.executed()).hasSize(1);
        assertThat(out.resolve("greeting")).hasContent("changed\n");
    }

    @Test
    void httpChecksumIsVerified() throws Exception {
        served.set("pinned\n");
        Digest right = Digest.sha256("pinned\n".getBytes(StandardCharsets.UTF_8));
        assertThat(kiln.build(State.http(url(), HttpOption.checksum(right))).resolve("hello.txt"))
                .hasContent("pinned\n");

        Digest wrong = Digest.sha256("something else".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> kiln.build(State.http(url(), HttpOption.checksum(wrong), HttpOption.filename("x"))))
                .hasMessageContaining("digest mismatch")
                .hasMessageContaining(wrong.toString());
    }

    @Test
    void gitSourceChecksOutTheBranchWithoutItsGitDirectory() throws Exception {
        Path out = kiln.build(State.git(gitUrl(), "main"));

        assertThat(out.resolve("README")).hasContent("version one\n");
        assertThat(out.resolve("docs/guide.txt")).hasContent("guide\n");
        assertThat(out.resolve(".git")).doesNotExist();
    }

    @Test
    void aGitCheckoutIsListedWithBuildkitsTypeSoAGcPolicyCanPickItOut() throws Exception {
        kiln.build(State.git(gitUrl(), "main"));

        assertThat(kiln.engine.diskUsage(DiskUsageQuery.filtered("type==source.git.checkout")))
                .isNotEmpty()
                .allSatisfy(record -> assertThat(record.description())
                        .startsWith("git snapshot for ")
                        .contains("repo.git"));
    }

    @Test
    void gitSourceKeepsGitDirectoryAndTakesSubdirectoriesWhenAsked() throws Exception {
        assertThat(kiln.build(State.git(gitUrl(), "main", GitOption.keepGitDir()))
                        .resolve(".git"))
                .isDirectory();
        Path sub = kiln.build(State.git(gitUrl(), "main:docs"));
        assertThat(sub.resolve("guide.txt")).hasContent("guide\n");
        assertThat(sub.resolve("README")).doesNotExist();
    }

    @Test
    void gitSourceFollowsANewCommitAndNamesAMissingBranch() throws Exception {
        kiln.build(State.git(gitUrl(), "main"));
        Files.writeString(repo.resolve("NEW"), "added\n");
        git(repo, "add", ".");
        git(repo, "commit", "-q", "-m", "two");

        Path out = kiln.build(State.git(gitUrl(), "main"));

        assertThat(out.resolve("NEW")).hasContent("added\n");
        assertThatThrownBy(() -> kiln.build(State.git(gitUrl(), "no-such-branch")))
                .hasMessageContaining("no branch or tag named \"no-such-branch\"");
    }

    private String gitUrl() {
        return gitDaemon.url("repo.git");
    }
}
