package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.oci.testing.Tools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Frontend images under Kiln, over real gRPC in real containers: Kiln's own Dockerfile frontend, packed by
 * {@code kiln frontend-image} and pushed to a registry on 127.0.0.1, builds Dockerfiles whose first line names it
 * ({@code # syntax=}) in this process and through the daemon ({@code --frontend gateway.v0 --opt source=}); frontend
 * images that crash or write garbage fail the build with an error naming them and leave no container, mount or
 * socket behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FrontendImageTest {

    static final ObjectMapper JSON = new ObjectMapper();

    KilnFrontendImage image;
    Path state;
    Path daemonState;

    @TempDir
    Path tmp;

    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    @BeforeAll
    void pack() throws Exception {
        image = KilnFrontendImage.get();
        state = image.work().resolve("state");
        daemonState = image.work().resolve("daemon-state");
    }

    @AfterAll
    void stopDaemon() throws Exception {
        StateDaemon.stop(daemonState);
    }

    /** Multi-stage, a build argument, a heredoc, a cache mount and a bind mount from another stage. */
    /** An embedded build of {@code context} with GREETING=bonjour into {@code out}, after {@code flags}. */
    private int embeddedBonjourBuild(Path context, Path out, String... flags) throws Exception {
        List<String> all = new ArrayList<>(List.of(flags));
        all.addAll(
                List.of("--build-arg", "GREETING=bonjour", "--output", "type=local,dest=" + out, context.toString()));
        return embedded(all);
    }

    private int embedded(List<String> args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--state", state.toString(), "--progress", "plain"));
        all.addAll(args);
        stdout.reset();
        stderr.reset();
        PrintStream err = new PrintStream(stderr, true);
        try {
            return new BuildCommand(new PrintStream(stdout, true), err, new ByteArrayInputStream(new byte[0])).run(all);
        } catch (dev.kiln.engine.BuildException e) {
            // as kiln build reports it
            err.println("kiln: build failed: " + e.getMessage());
            return 1;
        }
    }

    private int daemon(List<String> args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--state", daemonState.toString(), "--progress", "plain"));
        all.addAll(args);
        stdout.reset();
        stderr.reset();
        return new DaemonBuild(
                        new PrintStream(stdout, true), new PrintStream(stderr, true), InputStream.nullInputStream())
                .run(Invocation.parse(all));
    }

    private String err() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    private Path context(String name, String dockerfile) throws IOException {
        Path context = Files.createDirectories(tmp.resolve(name));
        Files.writeString(context.resolve("Dockerfile"), dockerfile);
        return context;
    }

    @Test
    void packedImageIsSmallAndStartsTheDockerfileFrontend() throws Exception {
        String manifest = Tools.run("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + image.frontend());
        long compressed = 0;
        for (JsonNode layer : JSON.readTree(manifest).get("layers")) {
            compressed += layer.get("size").asLong();
        }
        assertThat(compressed).as("compressed size").isLessThanOrEqualTo(80L << 20);
        JsonNode config = JSON.readTree(Tools.run(
                        "skopeo", "inspect", "--config", "--tls-verify=false", "docker://" + image.frontend()))
                .get("config");
        assertThat(config.get("Entrypoint").toString())
                .contains("/opt/kiln/java/bin/java", "-XX:SharedArchiveFile=", "dev.kiln.gateway.grpc.StdioFrontend")
                .contains(FrontendImageCommand.DEFAULT_FRONTEND);
        assertThat(config.get("Labels")
                        .get("moby.buildkit.frontend.network.none")
                        .asText())
                .isEqualTo("true");
    }

    /**
     * Packing again from nothing (a state directory of its own, so no step of the first pack is reused) under the
     * same SOURCE_DATE_EPOCH makes the same image, class archive included: that time on every file and in the config,
     * a fresh jlink, the archive dumped from a canonical class list. It costs a second pack (25-45 s on 2 shared
     * cores).
     */
    @Test
    void packingAgainUnderTheSameEpochMakesTheSameImageWithItsClassArchive() throws Exception {
        String again = image.registry().host() + "/kiln/dockerfile-frontend:again";
        stderr.reset();

        int code = KilnFrontendImage.pack(tmp.resolve("pack-again"), again, new PrintStream(stderr, true));

        assertThat(code).as(err()).isZero();
        assertThat(err()).contains("[frontend-image] dump the class data sharing archive");
        assertThat(manifest(again)).as("the manifest of a second pack").isEqualTo(manifest(image.frontend()));
    }

    private static String manifest(String ref) throws Exception {
        return Tools.run("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref);
    }

    @Test
    void syntaxLineHandsTheBuildToTheFrontendImage() throws Exception {
        Path context = context("syntax", image.multiStageDockerfile("# syntax=" + image.frontend() + "\n"));
        Path out = tmp.resolve("syntax-out");

        int code = embeddedBonjourBuild(context, out, "--no-daemon");

        assertThat(code).as(err()).isZero();
        KilnFrontendImage.assertBuilt(out);
        assertThat(err())
                .contains("[frontend] " + image.frontend())
                .containsPattern("first gateway call \\d+ ms after the frontend started");
    }

    @Test
    void syntaxBuildArgumentOverridesTheSyntaxLine() throws Exception {
        Path context = context("syntax-arg", image.multiStageDockerfile("# syntax=docker/dockerfile:1\n"));
        Path out = tmp.resolve("syntax-arg-out");

        int code = embeddedBonjourBuild(context, out, "--build-arg", "BUILDKIT_SYNTAX=" + image.frontend());

        assertThat(code).as(err()).isZero();
        KilnFrontendImage.assertBuilt(out);
        assertThat(err()).contains("[frontend] " + image.frontend());
    }

    @Test
    void daemonRunsTheFrontendImageInBuildctlsGatewayForm() throws Exception {
        Path context = context("gateway", image.multiStageDockerfile(""));
        Path out = tmp.resolve("gateway-out");

        int code = daemon(KilnFrontendImage.bonjourBuild(
                context, out, "--frontend", "gateway.v0", "--opt", "source=" + image.frontend()));

        assertThat(code).as(err()).isZero();
        KilnFrontendImage.assertBuilt(out);
        assertThat(err()).contains("[frontend] " + image.frontend());
    }

    @Test
    void frontendThatExitsFailsTheBuildNamingItAndLeavesNothingBehind() throws Exception {
        String crash = brokenFrontend("crash", "echo the frontend broke >&2; exit 3");

        int code = embedded(gatewayBuild(crash));

        assertThat(code).isEqualTo(1);
        assertThat(err())
                .contains("frontend image " + crash + " exited with code 3 before returning a result")
                .contains("the frontend broke");
        assertNothingLeft();
    }

    @Test
    void frontendThatWritesGarbageFailsTheBuildNamingItAndLeavesNothingBehind() throws Exception {
        String garbage = brokenFrontend("garbage", "echo this is not HTTP/2; sleep 300");
        long start = System.nanoTime();

        int code = embedded(gatewayBuild(garbage));

        assertThat(code).isEqualTo(1);
        assertThat(err())
                .contains("frontend image " + garbage)
                .contains("broke its gRPC connection before returning a result");
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start))
                .as("the build does not wait for the frontend's sleep")
                .isLessThan(120);
        assertNothingLeft();
    }

    /**
     * BuildKit's own Dockerfile frontend (cmd/dockerfile-frontend at v0.24.0, built from its source, packed as an
     * image by Kiln) runs under Kiln as a {@code # syntax=} image. Only where its binary is given in
     * {@value #BUILDKIT_FRONTEND_ENV}: BuildKit's source and Go are for development, not CI.
     */
    @Test
    void buildkitsOwnDockerfileFrontendRunsUnderKilnAsTheSyntaxImage() throws Exception {
        String binary = System.getenv(BUILDKIT_FRONTEND_ENV);
        org.junit.jupiter.api.Assumptions.assumeTrue(
                binary != null && Files.isExecutable(Path.of(binary)),
                BUILDKIT_FRONTEND_ENV + " does not name BuildKit's dockerfile-frontend binary (go build "
                        + "./frontend/dockerfile/cmd/dockerfile-frontend in BuildKit's source)");
        Path pack = context("buildkit-frontend", """
                FROM scratch
                COPY dockerfile-frontend /bin/dockerfile-frontend
                LABEL moby.buildkit.frontend.network.none="true"
                LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,\
                moby.buildkit.frontend.contexts"
                ENTRYPOINT ["/bin/dockerfile-frontend"]
                """);
        Files.copy(Path.of(binary), pack.resolve("dockerfile-frontend"));
        String ref = image.registry().host() + "/buildkit/dockerfile-frontend:v0.24.0";
        assertThat(embedded(List.of("-t", ref, "--push", pack.toString())))
                .as(err())
                .isZero();
        Path context = context("buildkit-syntax", image.multiStageDockerfile("# syntax=" + ref + "\n"));
        Path out = tmp.resolve("buildkit-syntax-out");

        int code = embeddedBonjourBuild(context, out);

        assertThat(code).as(err()).isZero();
        KilnFrontendImage.assertBuilt(out);
        assertThat(err()).contains("[frontend] " + ref);
    }

    static final String BUILDKIT_FRONTEND_ENV = "KILN_BUILDKIT_DOCKERFILE_FRONTEND";

    private List<String> gatewayBuild(String source) throws IOException {
        Path context = context("broken-" + source.hashCode(), "FROM scratch\n");
        return List.of(
                "--frontend",
                "gateway.v0",
                "--opt",
                "source=" + source,
                "--local",
                "context=" + context,
                "--local",
                "dockerfile=" + context);
    }

    /** A frontend image that runs {@code script} instead of speaking the gateway: built and pushed by Kiln. */
    private String brokenFrontend(String name, String script) throws Exception {
        String ref = image.registry().host() + "/test/" + name + ":1";
        Path context = context(name, """
                FROM %s
                ENTRYPOINT ["sh", "-c", "%s"]
                """.formatted(image.busybox(), script));
        int code = embedded(List.of("-t", ref, "--push", context.toString()));
        assertThat(code).as(err()).isZero();
        stderr.reset();
        return ref;
    }

    /** No container, mount or bridge socket of the build is left. */
    private void assertNothingLeft() throws Exception {
        List<String> containers = new ArrayList<>();
        try (Stream<Path> roots = Files.walk(state, 4)) {
            for (Path root : roots.filter(p -> p.getFileName().toString().equals("runc-state"))
                    .toList()) {
                containers.addAll(List.of(Tools.run("runc", "--root", root.toString(), "list", "-q")
                        .strip()
                        .split("\n")));
            }
        }
        assertThat(containers.stream().filter(id -> !id.isBlank())).isEmpty();
        assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                        .filter(line -> line.contains(state.toString())))
                .isEmpty();
        try (Stream<Path> temp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(temp.filter(p -> p.getFileName().toString().startsWith("kiln-bridge-")))
                    .isEmpty();
        }
    }
}
