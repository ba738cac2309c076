package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.BuildException;
import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.FrontendSpec;
import dev.kiln.engine.Warning;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.llb.MarshalOptions;
import dev.kiln.llb.State;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The frontend as the engine runs it: by name, nested in another frontend, with its cache across builds. */
class FrontendBuildTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    @Test
    void secondBuildIsFullyCachedAndAChangedFileRerunsOnlyWhatDependsOnIt() throws Exception {
        Path ctx = builds.context("cache", Map.of("Dockerfile", """
                FROM busybox
                COPY a.txt /a.txt
                RUN cat /a.txt > /a-copy.txt
                COPY b.txt /b.txt
                RUN cat /b.txt > /b-copy.txt
                """, "a.txt", "a1\n", "b.txt", "b1\n"));
        DockerfileBuilds.Build first = builds.build(ctx, Map.of());
        assertThat(steps(first.executed()))
                .containsExactly(
                        "[1/5] COPY a.txt /a.txt",
                        "[2/5] RUN cat /a.txt > /a-copy.txt",
                        "[3/5] COPY b.txt /b.txt",
                        "[4/5] RUN cat /b.txt > /b-copy.txt");

        DockerfileBuilds.Build second = builds.build(ctx, Map.of());
        assertThat(steps(second.executed())).isEmpty();
        assertThat(steps(second.cached())).contains("[4/5] RUN cat /b.txt > /b-copy.txt");
        assertThat(second.out().resolve("b-copy.txt")).hasContent("b1");

        Files.writeString(ctx.resolve("b.txt"), "b2\n");
        DockerfileBuilds.Build third = builds.build(ctx, Map.of());
        assertThat(steps(third.executed()))
                .containsExactly("[3/5] COPY b.txt /b.txt", "[4/5] RUN cat /b.txt > /b-copy.txt");
        assertThat(third.out().resolve("b-copy.txt")).hasContent("b2");
        assertThat(third.out().resolve("a-copy.txt")).hasContent("a1");
    }

    @Test
    void unrelatedContextChangesKeepEveryStepCached() throws Exception {
        Path ctx = builds.context("unrelated", Map.of("Dockerfile", """
                FROM busybox
                COPY used.txt /used.txt
                RUN cat /used.txt > /out.txt
                """, "used.txt", "used\n", "other.txt", "1\n"));
        builds.build(ctx, Map.of());
        Files.writeString(ctx.resolve("other.txt"), "2\n");
        DockerfileBuilds.Build again = builds.build(ctx, Map.of());
        assertThat(steps(again.executed())).isEmpty();
    }

    /** As in BuildKit, the proxy a step ran behind is no part of its cache key: another proxy reuses the result. */
    @Test
    void anotherProxyBuildArgKeepsRunCached() throws Exception {
        Path ctx = builds.context("proxy-cache", Map.of("Dockerfile", """
                FROM busybox
                RUN echo "$HTTP_PROXY $http_proxy" > /proxy.txt
                """));
        DockerfileBuilds.Build first = builds.build(ctx, Map.of("build-arg:http_proxy", "http://first.example:3128"));
        assertThat(first.out().resolve("proxy.txt")).hasContent("http://first.example:3128 http://first.example:3128");

        DockerfileBuilds.Build second = builds.build(ctx, Map.of("build-arg:HTTP_PROXY", "http://second.example:3128"));
        assertThat(steps(second.executed())).isEmpty();
        assertThat(steps(second.cached()))
                .anyMatch(n -> n.endsWith("RUN echo \"$HTTP_PROXY $http_proxy\" > /proxy.txt"));
        assertThat(second.out().resolve("proxy.txt")).hasContent("http://first.example:3128 http://first.example:3128");
    }

    @Test
    void registeredAsDockerfileV0AndRunByName() throws Exception {
        Path ctx = builds.context("named", Map.of("Dockerfile", "FROM scratch\nCOPY f.txt /\n", "f.txt", "named\n"));
        Path out = Files.createTempDirectory(builds.dir, "out-");
        BuildOutcome outcome = builds.engine.build(
                new BuildRequest(
                        new FrontendSpec.Named("dockerfile.v0"),
                        Map.of(),
                        Map.of("context", ctx, "dockerfile", ctx),
                        List.of(new ExportTarget.LocalDirectory(out))),
                e -> {});
        assertThat(out.resolve("f.txt")).hasContent("named");
        assertThat(outcome.result().metadata(DockerfileFrontend.IMAGE_CONFIG_KEY))
                .isPresent();
    }

    /**
     * An image config given with a named context (input + input-metadata, as BuildKit's clients pass one)
     * drives the stage as a registry image's config would: env, user, working directory, command, triggers.
     */
    @Test
    void baseImageConfigSetsEnvUserWorkdirCmdAndRunsOnbuildTriggers() throws Exception {
        Path ctx = builds.context("base-config", Map.of("Dockerfile", """
                FROM base
                RUN id -u > /tmp/uid && pwd > /tmp/pwd && echo "$GREETING" > /tmp/env
                """));
        String config = """
                {"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin:/usr/bin","GREETING=from-config"],
                 "User":"1000","WorkingDir":"/home/user","Cmd":["/bin/sh"],"OnBuild":["RUN touch /tmp/onbuild-ran"]},
                 "rootfs":{"type":"layers","diff_ids":[]}}
                """;
        String metadata = JSON.writeValueAsString(Map.of(
                "containerimage.config", Base64.getEncoder().encodeToString(config.getBytes(StandardCharsets.UTF_8))));
        BuildFunction parent = client -> {
            State base = State.local("busybox");
            Result inner = client.solve(new SolveRequest(
                    false,
                    null,
                    "dockerfile.v0",
                    Map.of("context:base", "input:base", "input-metadata:base", metadata),
                    Map.of("base", base.marshal(MarshalOptions.defaults())),
                    List.of()));
            return inner;
        };
        Path out = Files.createTempDirectory(builds.dir, "out-");
        BuildOutcome outcome = builds.engine.build(
                new BuildRequest(
                        new FrontendSpec.Function("parent", parent),
                        Map.of(),
                        Map.of("context", ctx, "dockerfile", ctx, "busybox", builds.busybox),
                        List.of(new ExportTarget.LocalDirectory(out))),
                e -> {});
        assertThat(out.resolve("tmp/uid")).hasContent("1000");
        assertThat(out.resolve("tmp/pwd")).hasContent("/home/user");
        assertThat(out.resolve("tmp/env")).hasContent("from-config");
        assertThat(out.resolve("tmp/onbuild-ran")).exists();
        JsonNode image = JSON.readTree(
                outcome.result().metadata(DockerfileFrontend.IMAGE_CONFIG_KEY).orElseThrow());
        assertThat(image.at("/config/Cmd").toString()).isEqualTo("[\"/bin/sh\"]");
        assertThat(image.at("/config/User").asText()).isEqualTo("1000");
        assertThat(image.at("/config/OnBuild").isMissingNode()).isTrue();
        assertThat(outcome.result().metadata(DockerfileFrontend.BASE_IMAGE_CONFIG_KEY))
                .isPresent();
    }

    @Test
    void warningsPointAtTheDockerfileLines() throws Exception {
        Path ctx = builds.context("warnings", Map.of("Dockerfile", "FROM scratch\nMAINTAINER me\n"));
        DockerfileBuilds.Build build = builds.build(ctx, Map.of());
        Warning warning = build.outcome().warnings().stream()
                .filter(w -> w.message().startsWith("MaintainerDeprecated"))
                .findFirst()
                .orElseThrow();
        assertThat(warning.options().sourceInfo().getFilename()).isEqualTo("Dockerfile");
        assertThat(warning.options().sourceInfo().getData().toStringUtf8()).contains("MAINTAINER me");
        assertThat(warning.options().ranges())
                .singleElement()
                .satisfies(r -> assertThat(r.getStart().getLine()).isEqualTo(2));
        assertThat(warning.options().url())
                .isEqualTo("https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/");
        assertThat(warning.vertexDigest()).startsWith("sha256:");
    }

    @Test
    void syntaxErrorsAreReportedWithTheirLineAsBuildKitsAre() throws Exception {
        Path ctx = builds.context("syntax-error", Map.of("Dockerfile", "FROM scratch\nCOPY\n"));
        assertThatThrownBy(() -> builds.build(ctx, Map.of()))
                .isInstanceOf(BuildException.class)
                .hasMessage(
                        "dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. "
                                + "Destination could not be determined")
                .hasRootCauseInstanceOf(DockerfileException.class);
    }

    @Test
    void missingDockerfileIsReportedClearly() throws Exception {
        Path ctx = builds.context("no-dockerfile", Map.of("README", "no Dockerfile here\n"));
        assertThatThrownBy(() -> builds.build(ctx, Map.of()))
                .isInstanceOf(BuildException.class)
                .hasMessageStartingWith("failed to read dockerfile:");
    }

    @Test
    void severalTargetPlatformsGiveOneResultEach() throws Exception {
        Path ctx = builds.context("multi-platform", Map.of("Dockerfile", """
                FROM scratch
                ARG TARGETARCH
                COPY <<EOF /arch
                $TARGETARCH
                EOF
                """));
        BuildOutcome outcome = builds.engine.build(
                new BuildRequest(
                        new FrontendSpec.Named("dockerfile.v0"),
                        Map.of("platform", "linux/amd64,linux/arm64"),
                        Map.of("context", ctx, "dockerfile", ctx),
                        List.of()),
                e -> {});
        assertThat(outcome.result().refs()).containsOnlyKeys("linux/amd64", "linux/arm64");
        assertThat(outcome.result().metadata("containerimage.config/linux/arm64"))
                .isPresent();
        JsonNode platforms = JSON.readTree(
                outcome.result().metadata(DockerfileFrontend.PLATFORMS_KEY).orElseThrow());
        assertThat(platforms.at("/platforms/1/platform/architecture").asText()).isEqualTo("arm64");
    }

    private static List<String> steps(List<String> names) {
        return names.stream()
                .filter(n -> n.startsWith("[") && !n.startsWith("[internal]") && !n.startsWith("[context"))
                .toList();
    }
}
