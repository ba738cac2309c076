package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.worker.BusyboxImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kiln build --explain-cache} with the embedded engine (and once through the daemon): real builds in busybox
 * containers, changed between two runs in one way each, and the reason the second build prints for each step that
 * ran.
 */
class ExplainCacheTest extends WithBusyboxContext {

    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    private int build(String progress, String... more) throws Exception {
        stderr.reset();
        List<String> all = new ArrayList<>(List.of(
                "--no-daemon",
                "--state",
                tmp.resolve("state").toString(),
                "--build-context",
                "busybox=" + rootfs,
                "--progress",
                progress,
                "--explain-cache",
                "--output",
                "type=local,dest=" + tmp.resolve("out")));
        all.addAll(List.of(more));
        all.add(context.toString());
        return new BuildCommand(
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(stderr, true),
                        InputStream.nullInputStream())
                .run(all);
    }

    @AfterEach
    void stopDaemon() throws Exception {
        StateDaemon.stop(tmp.resolve("state"));
    }

    /** The same build through the state's daemon (started on first use). */
    private String builtByDaemon(String... more) throws Exception {
        stderr.reset();
        List<String> flags =
                new ArrayList<>(List.of("--explain-cache", "--output", "type=local,dest=" + tmp.resolve("out")));
        flags.addAll(List.of(more));
        List<String> all =
                StateDaemon.busyboxBuild(tmp.resolve("state"), rootfs, context, flags.toArray(String[]::new));
        int code = new DaemonBuild(
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(stderr, true),
                        InputStream.nullInputStream())
                .run(Invocation.parse(all));
        String err = stderr.toString(StandardCharsets.UTF_8);
        assertThat(code).as(err).isZero();
        return err;
    }

    private String built(String... more) throws Exception {
        int code = build("plain", more);
        String err = stderr.toString(StandardCharsets.UTF_8);
        assertThat(code).as(err).isZero();
        return err;
    }

    private void dockerfile(String text) throws Exception {
        Files.writeString(context.resolve("Dockerfile"), text);
    }

    @Test
    void theFirstBuildOfATargetHasNoRecord() throws Exception {
        dockerfile("FROM busybox\nRUN echo one > /one\n");

        assertThat(built())
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN echo one > /one: ran because no earlier build of this target is recorded$");
    }

    @Test
    void aChangedBuildArgumentIsNamedWithItsOldAndNewValue() throws Exception {
        dockerfile("FROM busybox\nARG VERSION\nRUN echo $VERSION > /v\n");
        built("--build-arg", "VERSION=1");

        String second = built("--build-arg", "VERSION=2");

        assertThat(second)
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN echo 2 > /v: ran because build argument VERSION changed: \"1\" -> \"2\"$");
        assertThat(Files.readString(tmp.resolve("out/v"))).isEqualTo("2\n");
    }

    @Test
    void throughTheDaemonTheExplanationReachesTheClient() throws Exception {
        dockerfile("FROM busybox\nARG VERSION\nRUN echo $VERSION > /v\n");
        assertThat(builtByDaemon("--build-arg", "VERSION=1"))
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN echo 1 > /v: ran because no earlier build of this target is recorded$");

        assertThat(builtByDaemon("--build-arg", "VERSION=2"))
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN echo 2 > /v: ran because build argument VERSION changed: \"1\" -> \"2\"$");
    }

    @Test
    void aFailedBuildExplainsTheStepsThatRanBeforeItsFailureAndRecordsNothing() throws Exception {
        dockerfile("FROM busybox\nARG VERSION\nRUN echo $VERSION > /v\n");
        built("--build-arg", "VERSION=1");
        dockerfile("FROM busybox\nARG VERSION\nRUN echo $VERSION > /v\nRUN exit 3\n");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> build("plain", "--build-arg", "VERSION=2"))
                .hasMessageContaining("exit code: 3");

        assertThat(stderr.toString(StandardCharsets.UTF_8))
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN echo 2 > /v: ran because build argument VERSION changed: \"1\" -> \"2\"$");
        // the last build that succeeded is still the one the next build is compared with
        dockerfile("FROM busybox\nARG VERSION\nRUN echo $VERSION > /v\n");
        assertThat(built("--build-arg", "VERSION=3"))
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN echo 3 > /v: ran because build argument VERSION changed: \"1\" -> \"3\"$");
    }

    @Test
    void throughTheDaemonAFailedBuildsExplanationReachesTheClient() throws Exception {
        dockerfile("FROM busybox\nARG VERSION\nRUN echo $VERSION > /v\nRUN exit 3\n");
        stderr.reset();
        int code = new DaemonBuild(
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(stderr, true),
                        InputStream.nullInputStream())
                .run(Invocation.parse(StateDaemon.busyboxBuild(
                        tmp.resolve("state"), rootfs, context, "--explain-cache", "--build-arg", "VERSION=1")));

        assertThat(code).isNotZero();
        assertThat(stderr.toString(StandardCharsets.UTF_8))
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN echo 1 > /v: ran because no earlier build of this target is recorded$");
    }

    @Test
    void aChangedContextFileIsNamedWithBothChecksumsAndCarriedToTheStepsAfterIt() throws Exception {
        dockerfile("FROM busybox\nCOPY src /src\nRUN cat /src/main.c > /out.c\n");
        Files.createDirectories(context.resolve("src"));
        Files.writeString(context.resolve("src/main.c"), "int main() { return 0; }\n");
        Files.writeString(context.resolve("src/util.c"), "int util;\n");
        built();

        Files.writeString(context.resolve("src/main.c"), "int main() { return 1; }\n");
        String second = built();

        String changed = "context file src/main\\.c changed \\(sha256:[0-9a-f]{12}… -> sha256:[0-9a-f]{12}…\\)";
        assertThat(second).containsPattern("(?m)^#\\d+ \\[[^\\]]+\\] COPY src /src: ran because " + changed + "$");
        assertThat(second)
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN cat /src/main\\.c > /out\\.c: ran because " + changed + "$");

        Files.writeString(context.resolve("src/main.c"), "int main() { return 2; }\n");
        Files.writeString(context.resolve("src/util.c"), "int util = 2;\n");
        assertThat(built())
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] COPY src /src: ran because " + changed + " \\(\\+1 more\\)$");
    }

    @Test
    void aChangedCommandIsShownOldAndNew() throws Exception {
        dockerfile("FROM busybox\nRUN echo a > /a\n");
        built();

        dockerfile("FROM busybox\nRUN echo b > /a\n");
        assertThat(built())
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN echo b > /a: ran because its command changed: \"echo a > /a\" -> \"echo b > /a\"$");
    }

    @Test
    void aChangedFileUnderABindMountIsNamedAndAChangedSecretIsNoCauseAtAll() throws Exception {
        dockerfile("FROM busybox\n"
                + "RUN --mount=type=bind,source=data.txt,target=/d cat /d > /copy\n"
                + "RUN --mount=type=secret,id=token cat /run/secrets/token | wc -c > /token-size\n");
        Files.writeString(context.resolve("data.txt"), "one\n");
        Path secret = tmp.resolve("token");
        Files.writeString(secret, "first");
        built("--secret", "id=token,src=" + secret);

        Files.writeString(context.resolve("data.txt"), "two\n");
        String second = built("--secret", "id=token,src=" + secret);

        assertThat(second)
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN --mount=type=bind,source=data\\.txt,target=/d cat /d > /copy: "
                                + "ran because context file data\\.txt changed \\(sha256:[0-9a-f]{12}… -> sha256:[0-9a-f]{12}…\\)$");
        assertThat(Files.readString(tmp.resolve("out/copy"))).isEqualTo("two\n");

        // As in BuildKit, a secret is never part of a step's key: with only the secret changed, nothing runs.
        Files.writeString(secret, "second, longer");
        assertThat(built("--secret", "id=token,src=" + secret)).doesNotContain("ran because");
    }

    @Test
    void aChangedCacheMountIsNamedByItsTarget() throws Exception {
        dockerfile("FROM busybox\nRUN --mount=type=cache,target=/c,id=one echo hi > /m\n");
        built();

        dockerfile("FROM busybox\nRUN --mount=type=cache,target=/c,id=two echo hi > /m\n");
        assertThat(built())
                .containsPattern(
                        "(?m)^#\\d+ \\[[^\\]]+\\] RUN --mount=type=cache,target=/c,id=two echo hi > /m: "
                                + "ran because its mount at /c changed: type=cache,id=/one,sharing=shared -> type=cache,id=/two,sharing=shared$");
    }

    @Test
    void aPrunedRecordIsSaidToBePruned() throws Exception {
        dockerfile("FROM busybox\nRUN echo p > /p\n");
        built();
        var du = new DiskUsageCommand(new PrintStream(new ByteArrayOutputStream()), new PrintStream(stderr, true));
        assertThat(du.prune(
                        List.of("--no-daemon", "--state", tmp.resolve("state").toString(), "--all")))
                .isZero();

        assertThat(built())
                .containsPattern("(?m)^#\\d+ \\[[^\\]]+\\] RUN echo p > /p: ran because its cache record was pruned$");
    }

    @Test
    void aMovedBaseImageTagShowsBothDigests() throws Exception {
        try (LocalRegistry registry = LocalRegistry.anonymous().start();
                RegistryClient client = RegistryClient.builder().build()) {
            ImageReference reference = registry.reference("library/base:1");
            Descriptor first = BusyboxImage.push(client, reference, tmp);
            dockerfile("FROM " + reference + "\nRUN echo on-base > /b\n");
            built();

            // The same tag now names another image: the same layer, a config made at another time.
            Descriptor second =
                    BusyboxImage.push(client, reference, tmp, java.time.Instant.parse("2025-01-01T00:00:00Z"));
            assertThat(second.digest()).isNotEqualTo(first.digest());
            String rebuilt = built();

            String moved = "the base image changed: " + first.digest() + " -> " + second.digest();
            assertThat(rebuilt)
                    .containsPattern("(?m)^#\\d+ \\[[^\\]]+\\] FROM "
                            + java.util.regex.Pattern.quote(reference.toString()) + "@sha256:[0-9a-f]{64}: ran because "
                            + java.util.regex.Pattern.quote(moved) + "$");
            assertThat(rebuilt)
                    .containsPattern("(?m)^#\\d+ \\[[^\\]]+\\] RUN echo on-base > /b: ran because "
                            + java.util.regex.Pattern.quote(moved) + "$");
        }
    }

    @Test
    void rawjsonCarriesTheExplanationOnTheVertex() throws Exception {
        // Go's JSON escaping, as everywhere in rawjson: ">" is written as its unicode escape.
        dockerfile("FROM busybox\nARG V\nRUN echo $V > /v\n");
        built("--build-arg", "V=a");

        assertThat(build("rawjson", "--build-arg", "V=b")).isZero();
        assertThat(stderr.toString(StandardCharsets.UTF_8))
                .containsPattern(
                        "\\{\"vertexes\":\\[\\{\"digest\":\"sha256:[0-9a-f]{64}\",\"name\":\"\\[[^\\]]+\\] RUN echo b \\\\u003e /v\","
                                + "\"cacheMiss\":\\{\"reason\":\"build-arg\",\"message\":\"build argument V changed: "
                                + "\\\\\"a\\\\\" -\\\\u003e \\\\\"b\\\\\"\",\"name\":\"V\",\"new\":\"b\",\"old\":\"a\"\\}\\}\\]\\}");
    }
}
