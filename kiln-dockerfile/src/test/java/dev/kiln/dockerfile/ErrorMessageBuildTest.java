package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.engine.BuildException;
import dev.kiln.engine.gateway.FailedSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a user reads when a build fails on links that lead nowhere or on a huge command line (Kiln issue 9): the
 * message names the path, the link and its target, and the Dockerfile line, and stays short whatever the size of
 * the instruction. Also that links in a lower layer, written through by a later step, export as BuildKit exports
 * them: the merged filesystem, the link still a link. A Dockerfile that does not build as written says so as BuildKit
 * does, its lines framed from the error's source.
 */
class ErrorMessageBuildTest {

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    @Test
    void copyOfALinkWhoseTargetIsNotInTheContextNamesTheLinkAndItsTarget() throws Exception {
        // absolute (the context's /etc/shadow, never the host's), relative and dangling, relative to a directory
        // above the context (".." stops at the context's root, where there is no /etc)
        Map<String, String> resolved =
                Map.of("/etc/shadow", "/etc/shadow", "missing/file", "/missing/file", "../../../../etc", "/etc");
        for (String target : resolved.keySet()) {
            Path ctx =
                    builds.context("link-" + target.hashCode(), Map.of("Dockerfile", "FROM busybox\nCOPY li* /g/\n"));
            Files.createSymbolicLink(ctx.resolve("link"), Path.of(target));

            String message = failure(ctx);

            assertThat(message)
                    .as(target)
                    .contains("/link -> " + target + ": the link's target " + resolved.get(target) + " does not exist")
                    .contains("COPY li* /g/")
                    .contains("Dockerfile:2")
                    .doesNotContain("null");
        }
    }

    @Test
    void copyOfADanglingLinkByNameSaysItIsALinkToNothing() throws Exception {
        Path ctx = builds.context("named-link", Map.of("Dockerfile", "FROM busybox\nCOPY link /g/\n"));
        Files.createSymbolicLink(ctx.resolve("link"), Path.of("/etc/shadow"));

        assertThat(failure(ctx))
                .contains("/link -> /etc/shadow: the link's target /etc/shadow does not exist")
                .contains("Dockerfile:2")
                .doesNotContain("null");
    }

    @Test
    void mountSourceAndCopyFromFollowALinkToADirectoryInsideTheStage() throws Exception {
        Path ctx = builds.context("dirlink", Map.of("Dockerfile", """
                FROM busybox AS a
                RUN mkdir /real && echo inside > /real/f && ln -s /real /dirlink && ln -s ../real /rel
                FROM busybox
                RUN --mount=from=a,source=/dirlink,target=/m cat /m/f > /bound
                RUN --mount=type=cache,id=dirlink,from=a,source=/rel,target=/c cat /c/f > /cached
                COPY --from=a /dirlink /copied
                """));

        Path out = builds.build(ctx, Map.of()).out();

        assertThat(out.resolve("bound")).hasContent("inside");
        assertThat(out.resolve("cached")).hasContent("inside");
        assertThat(out.resolve("copied/f")).hasContent("inside");
    }

    @Test
    void mountOfADanglingLinkNamesTheLinkAndItsTarget() throws Exception {
        Path ctx = builds.context("dangling-mount", Map.of("Dockerfile", """
                FROM busybox AS a
                RUN ln -s /nowhere /dang
                FROM busybox
                RUN --mount=from=a,source=/dang,target=/m true
                """));

        assertThat(failure(ctx))
                .contains("selected path /dang is a dangling link: /dang -> /nowhere")
                .contains("Dockerfile:4");
    }

    @Test
    void writesThroughALowerLayersDirectoryLinkExportAsTheMergedFilesystem() throws Exception {
        Path ctx = builds.context("write-through", Map.of("Dockerfile", """
                FROM busybox
                RUN mkdir /real && ln -s /real /x && touch /real/gone
                RUN touch /x/delme && rm /x/gone
                """));

        DockerfileBuilds.Build build = builds.build(ctx, Map.of());

        assertThat(Files.readSymbolicLink(build.out().resolve("x"))).isEqualTo(Path.of("/real"));
        assertThat(build.out().resolve("real/delme")).isRegularFile();
        assertThat(build.out().resolve("real/gone")).doesNotExist();
        assertThat(build.owner("real/delme")).isEqualTo("0:0");
        assertThat(build.owner("x")).isEqualTo("0:0");
    }

    @Test
    void aHugeRunLineFailsWithAShortMessageThatSaysWhatAndWhere() throws Exception {
        // 5 MB in one argument: more than Linux's MAX_ARG_STRLEN (128 KiB), so the exec itself fails
        Path ctx = builds.context(
                "huge-run",
                Map.of("Dockerfile", "FROM busybox\nRUN echo " + "x".repeat(5 * 1024 * 1024) + " && exit 3\n"));

        String message = failure(ctx);

        assertThat(message.getBytes(StandardCharsets.UTF_8).length).isLessThan(2048);
        assertThat(message)
                .contains("RUN echo xxx")
                .contains("more characters")
                .contains("did not complete")
                .contains("Dockerfile:2");
    }

    @Test
    void aFailedStepsHugeOutputIsLeftOutOfTheMessage() throws Exception {
        // one line of a megabyte, then one without a newline at the end
        Path ctx = builds.context("huge-output", Map.of("Dockerfile", """
                FROM busybox
                RUN head -c 1000000 /dev/zero | tr '\\0' y && echo && head -c 300000 /dev/zero | tr '\\0' z && exit 4
                """));

        String message = failure(ctx);

        // the output was in the progress as the step ran: the message does not repeat it
        assertThat(message.getBytes(StandardCharsets.UTF_8).length).isLessThan(2048);
        assertThat(message).contains("exit code: 4").doesNotContain("yyy").doesNotContain("zzz");
    }

    @Test
    void aDockerfileThatDoesNotParseIsItsLinesFramedAndBuildKitsMessage() throws Exception {
        Path ctx = builds.context("unparsable", Map.of("Dockerfile", "FROM scratch\nRUN true\nFRON x\nCOPY a /b\n"));

        assertThat(failure(ctx)).isEqualTo("""
                Dockerfile:3
                --------------------
                   1 |     FROM scratch
                   2 |     RUN true
                   3 | >>> FRON x
                   4 |     COPY a /b
                   5 |    \s
                --------------------
                dockerfile parse error on line 3: unknown instruction: FRON (did you mean FROM?)""");
    }

    @Test
    void aConversionErrorIsItsReasonWithTheInstructionsLinesFramed() throws Exception {
        Path ctx = builds.context(
                "cycle",
                Map.of(
                        "Dockerfile",
                        "FROM scratch AS a\nCOPY --from=b \\\n  x /x\nFROM scratch AS b\nCOPY --from=a x /x\n"));

        assertThat(failure(ctx)).isEqualTo("""
                Dockerfile:2
                --------------------
                   1 |     FROM scratch AS a
                   2 | >>> COPY --from=b \\
                   3 | >>>   x /x
                   4 |     FROM scratch AS b
                --------------------
                circular dependency detected on stage: a""");
    }

    private static String failure(Path ctx) throws Exception {
        BuildException failed = catchThrowableOfType(BuildException.class, () -> builds.build(ctx, Map.of()));
        assertThat(failed).as("the build fails").isNotNull();
        // as kiln build prints it: the failed step's Dockerfile lines (its errdefs.Source), then the message
        return FailedSource.in(failed).map(FailedSource::framed).orElse("") + failed.getMessage();
    }
}
