package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.worker.BusyboxRootfs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code kiln build --check} and {@code --call=outline|targets}, through a real daemon (started by the class's first
 * call, as a user's first build starts one) and with {@code --no-daemon}: the frontend's answer on stdout, the
 * check's status as the exit code. Every RUN below fails, so an answer shows that nothing was built.
 */
class FrontendCallTest {

    private static final String WITH_WARNING = """
            FROM busybox
            MAINTAINER me
            RUN exit 1
            """;

    private static final String CLEAN = """
            FROM busybox
            RUN exit 1
            CMD ["true"]
            """;

    private static final String STAGES = """
            # VERSION the release to build
            ARG VERSION=1.2.3

            # base is the shared build environment
            FROM busybox AS base
            RUN exit 1

            # release ships the app
            FROM base AS release
            ARG VERSION
            RUN echo $VERSION && exit 1
            """;

    @TempDir
    static Path shared;

    static Path state;
    static Path rootfs;
    static int contexts;

    @BeforeAll
    static void busybox() throws IOException {
        state = shared.resolve("state");
        rootfs = BusyboxRootfs.populate(Files.createDirectories(shared.resolve("rootfs")));
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        StateDaemon.stop(state);
    }

    @ParameterizedTest(name = "through a daemon: {0}")
    @ValueSource(booleans = {true, false})
    void checkWithAWarningPrintsItWithItsLineAndExitsOne(boolean daemon) throws Exception {
        assertThat(kiln(daemon, WITH_WARNING, "--check").exiting(1))
                .startsWith("Check complete, 1 warning has been found!\n")
                .contains("WARNING: MaintainerDeprecated - "
                        + "https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/")
                .contains("Maintainer instruction is deprecated in favor of using label")
                .contains("Dockerfile:2\n")
                .contains("   2 | >>> MAINTAINER me");
    }

    @ParameterizedTest(name = "through a daemon: {0}")
    @ValueSource(booleans = {true, false})
    void checkOfACleanDockerfileExitsZero(boolean daemon) throws Exception {
        assertThat(kiln(daemon, CLEAN, "--call=check").exiting(0)).isEqualTo("Check complete, no warnings found.\n");
    }

    @ParameterizedTest(name = "through a daemon: {0}")
    @ValueSource(booleans = {true, false})
    void checkOfADockerfileThatDoesNotParseNamesItsLineAndExitsOne(boolean daemon) throws Exception {
        Run run = kiln(daemon, "FROM busybox\nCOPY\n", "--check");
        assertThat(run.exiting(1)).isEmpty();
        assertThat(run.err())
                .as("BuildKit's message, then the line framed, as buildx prints a check's error")
                .endsWith("""
                        kiln: check failed: dockerfile parse error on line 2: COPY requires at least two \
                        arguments, but only one was provided. Destination could not be determined
                        Dockerfile:2
                        --------------------
                           1 |     FROM busybox
                           2 | >>> COPY
                           3 |    \s
                        --------------------
                        """);
    }

    @ParameterizedTest(name = "through a daemon: {0}")
    @ValueSource(booleans = {true, false})
    void targetsListsTheStagesWithTheirDescriptions(boolean daemon) throws Exception {
        assertThat(kiln(daemon, STAGES, "--call=targets").exiting(0)).isEqualTo("""
                TARGET            DESCRIPTION
                base              is the shared build environment
                release (default) ships the app
                """);
    }

    @ParameterizedTest(name = "through a daemon: {0}")
    @ValueSource(booleans = {true, false})
    void outlineListsABuildArgumentWithItsDefaultAndDescription(boolean daemon) throws Exception {
        assertThat(kiln(daemon, STAGES, "--call=outline").exiting(0)).isEqualTo("""
                TARGET:      release
                DESCRIPTION: ships the app

                BUILD ARG   VALUE   DESCRIPTION
                VERSION     1.2.3   the release to build

                """);
    }

    @ParameterizedTest(name = "through a daemon: {0}")
    @ValueSource(booleans = {true, false})
    void formatJsonPrintsTheAnswersJson(boolean daemon) throws Exception {
        JsonNode outline = new ObjectMapper()
                .readTree(kiln(daemon, STAGES, "--call=outline,format=json").exiting(0))
                .at("/args/0");
        assertThat(outline.get("name").asText()).isEqualTo("VERSION");
        assertThat(outline.get("value").asText()).isEqualTo("1.2.3");
        assertThat(outline.get("description").asText()).isEqualTo("the release to build");
        assertThat(outline.at("/location/ranges/0/start/line").asInt()).isEqualTo(2);
    }

    @Test
    void anUnknownCallIsAUsageErrorListingTheChoices() {
        assertThatThrownBy(() -> Invocation.parse(List.of("--call=build", ".")))
                .isInstanceOf(UsageException.class)
                .hasMessage("--call: expected outline, targets, check, got build");
    }

    /** {@code kiln build ARGS CONTEXT} of a fresh context holding {@code dockerfile}, through the daemon or not. */
    private static Run kiln(boolean daemon, String dockerfile, String... args) throws Exception {
        Path context = Files.createDirectories(shared.resolve("context-" + (++contexts)));
        Files.writeString(context.resolve("Dockerfile"), dockerfile);
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(stdout, true);
        PrintStream err = new PrintStream(stderr, true);
        int code;
        if (daemon) {
            code = new DaemonBuild(out, err, InputStream.nullInputStream())
                    .run(Invocation.parse(StateDaemon.busyboxBuild(state, rootfs, context, args)));
        } else {
            List<String> flags = new ArrayList<>(List.of("--no-daemon"));
            flags.addAll(List.of(args));
            // a state of its own: the daemon holds the other
            code = new BuildCommand(out, err, InputStream.nullInputStream())
                    .run(StateDaemon.busyboxBuild(
                            shared.resolve("embedded-state"), rootfs, context, flags.toArray(String[]::new)));
        }
        return new Run(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    }

    /** What a command printed and its exit code. */
    private record Run(int code, String out, String err) {

        /** Its stdout, once its exit code is {@code expected}. */
        String exiting(int expected) {
            assertThat(code).as(err).isEqualTo(expected);
            return out;
        }
    }
}
