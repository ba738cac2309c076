package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.oci.testing.BuildkitDaemon;
import dev.kiln.oci.testing.BuildkitDaemon.Run;
import dev.kiln.oci.testing.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kiln's frontend image under BuildKit's own buildkitd (v0.24.0 here): buildctl's {@code --frontend gateway.v0 --opt
 * source=IMAGE} and a Dockerfile's {@code # syntax=IMAGE} (which BuildKit's Dockerfile frontend forwards, as docker
 * buildx builds do) build multi-stage Dockerfiles with build arguments, heredocs and RUN mounts. Needs
 * {@code buildkitd} and {@code buildctl} on PATH and root; skipped otherwise (never in CI).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FrontendImageBuildkitTest {

    KilnFrontendImage image;
    Path tmp;
    BuildkitDaemon buildkitd;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        BuildkitDaemon.assumeInstalled();
        tmp = dir;
        image = KilnFrontendImage.get();
        buildkitd = BuildkitDaemon.start(tmp, image.registry().host());
    }

    @AfterAll
    void stop() throws Exception {
        Resources.closeAll(buildkitd);
    }

    private Path context(String name, String syntaxLine) throws IOException {
        Path context = Files.createDirectories(tmp.resolve(name));
        Files.writeString(context.resolve("Dockerfile"), image.multiStageDockerfile(syntaxLine));
        return context;
    }

    @Test
    void buildctlRunsKilnsFrontendImageAsTheGatewaySource() throws Exception {
        Path context = context("gateway", "");
        Path out = tmp.resolve("gateway-out");

        Run run = buildkitd.buildctl(KilnFrontendImage.bonjourBuild(
                        context, out, "build", "--frontend", "gateway.v0", "--opt", "source=" + image.frontend())
                .toArray(String[]::new));

        assertThat(run.exitCode()).as(run.output()).isZero();
        KilnFrontendImage.assertBuilt(out);
    }

    @Test
    void buildkitsDockerfileFrontendForwardsTheSyntaxLineToKilnsImage() throws Exception {
        Path context = context("syntax", "# syntax=" + image.frontend() + "\n");
        Path out = tmp.resolve("syntax-out");

        Run run =
                buildkitd.buildctl(KilnFrontendImage.bonjourBuild(context, out, "build", "--frontend", "dockerfile.v0")
                        .toArray(String[]::new));

        assertThat(run.exitCode()).as(run.output()).isZero();
        KilnFrontendImage.assertBuilt(out);
    }
}
