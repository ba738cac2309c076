package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.BuildException;
import dev.kiln.engine.BuildOutcome;
import dev.kiln.solver.ProgressEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The subrequests buildx's {@code --call} sends ({@code requestid}): the frontend answers in the result's metadata
 * and builds nothing. Every RUN below fails, so an answer at all shows that none ran.
 */
class SubrequestsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    private static final String STAGES = """
            ARG BASE=busybox

            # base is the shared build environment
            FROM ${BASE} AS base
            RUN exit 1

            # build compiles the app
            FROM base AS build
            RUN exit 1

            FROM --platform=$BUILDPLATFORM scratch AS release
            COPY --from=build /x /x
            """;

    @Test
    void targetsListsEveryStageWithItsDescriptionAndTheLastAsDefault() throws Exception {
        Answer answer = call("targets", Map.of("Dockerfile", STAGES), Map.of());
        JsonNode targets = answer.json().get("targets");
        assertThat(targets).hasSize(3);
        assertThat(targets.get(0).get("name").asText()).isEqualTo("base");
        assertThat(targets.get(0).get("description").asText()).isEqualTo("is the shared build environment");
        assertThat(targets.get(0).get("base").asText()).isEqualTo("${BASE}");
        assertThat(targets.get(0).at("/location/ranges/0/start/line").asInt()).isEqualTo(4);
        assertThat(targets.get(0).has("default")).isFalse();
        assertThat(targets.get(1).get("description").asText()).isEqualTo("compiles the app");
        assertThat(targets.get(2).get("name").asText()).isEqualTo("release");
        assertThat(targets.get(2).get("default").asBoolean()).isTrue();
        assertThat(targets.get(2).get("platform").asText()).isEqualTo("$BUILDPLATFORM");
        assertThat(targets.get(2).has("description")).isFalse();
        assertThat(new String(answer.json().get("sources").get(0).binaryValue(), StandardCharsets.UTF_8))
                .isEqualTo(STAGES);
        assertThat(answer.text()).isEqualTo("""
                        TARGET            DESCRIPTION
                        base              is the shared build environment
                        build             compiles the app
                        release (default)\s
                        """);
        assertThat(answer.metadata("version")).isEqualTo("1.0.0");
        // indented as Go's json.MarshalIndent writes it, which buildx prints as it comes
        assertThat(answer.metadata("result.json"))
                .startsWith("{\n  \"targets\": [\n    {\n      \"name\": \"base\",\n")
                .contains("\"location\": {\n        \"ranges\": [\n");
    }

    @Test
    void outlineListsWhatTheTargetReachesWithDefaultsAndDescriptions() throws Exception {
        Answer answer = call("outline", Map.of("Dockerfile", """
                # BASE the image to build on
                ARG BASE=busybox
                # UNUSED is not reached by the target
                ARG UNUSED=nothing

                # app builds the application
                FROM ${BASE} AS app
                # GREETING what the app says
                ARG GREETING=hello
                ARG NAME
                RUN --mount=type=secret,id=token,required=true --mount=type=ssh exit 1

                FROM scratch AS other
                ARG OTHER=x
                RUN --mount=type=secret,id=other exit 1
                """), Map.of("target", "app", "build-arg:NAME", "kiln"));
        JsonNode json = answer.json();
        assertThat(json.get("name").asText()).isEqualTo("app");
        assertThat(json.get("description").asText()).isEqualTo("builds the application");
        JsonNode args = json.get("args");
        assertThat(args).hasSize(3);
        assertThat(args.get(0).get("name").asText()).isEqualTo("BASE");
        assertThat(args.get(0).get("value").asText()).isEqualTo("busybox");
        assertThat(args.get(0).get("description").asText()).isEqualTo("the image to build on");
        assertThat(args.get(0).at("/location/ranges/0/start/line").asInt()).isEqualTo(2);
        assertThat(args.get(1).get("name").asText()).isEqualTo("GREETING");
        assertThat(args.get(1).get("value").asText()).isEqualTo("hello");
        assertThat(args.get(1).get("description").asText()).isEqualTo("what the app says");
        assertThat(args.get(2).get("name").asText()).isEqualTo("NAME");
        assertThat(args.get(2).get("value").asText()).isEqualTo("kiln");
        assertThat(args.get(2).has("description")).isFalse();
        assertThat(json.get("secrets")).singleElement().satisfies(secret -> {
            assertThat(secret.get("name").asText()).isEqualTo("token");
            assertThat(secret.get("required").asBoolean()).isTrue();
            assertThat(secret.at("/location/ranges/0/start/line").asInt()).isEqualTo(11);
        });
        assertThat(json.get("ssh")).singleElement().satisfies(ssh -> {
            assertThat(ssh.get("name").asText()).isEqualTo("default");
            assertThat(ssh.has("required")).isFalse();
        });
        assertThat(answer.text()).isEqualTo("""
                        TARGET:      app
                        DESCRIPTION: builds the application

                        BUILD ARG   VALUE     DESCRIPTION
                        BASE        busybox   the image to build on
                        GREETING    hello     what the app says
                        NAME        kiln     \s

                        SECRET   REQUIRED
                        token    true

                        SSH       REQUIRED
                        default  \s

                        """);
    }

    @Test
    void lintReportsEveryStagesWarningsWithTheirLinesAndFailsTheStatus() throws Exception {
        Answer answer = call("lint", Map.of("Dockerfile", """
                FROM busybox as build
                MAINTAINER me
                RUN exit 1

                FROM scratch AS Unused

                FROM busybox
                CMD echo hi
                """), Map.of());
        JsonNode warnings = answer.json().get("warnings");
        List<String> found = new ArrayList<>();
        warnings.forEach(w -> found.add(w.get("ruleName").asText() + "@"
                + w.at("/location/ranges/0/start/line").asInt()));
        assertThat(found)
                .containsExactlyInAnyOrder(
                        "FromAsCasing@1", "MaintainerDeprecated@2", "StageNameCasing@5", "JSONArgsRecommended@8");
        JsonNode maintainer = warnings.findParents("ruleName").stream()
                .filter(w -> w.get("ruleName").asText().equals("MaintainerDeprecated"))
                .findFirst()
                .orElseThrow();
        assertThat(maintainer.get("url").asText())
                .isEqualTo("https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/");
        assertThat(maintainer.get("detail").asText())
                .isEqualTo("Maintainer instruction is deprecated in favor of using label");
        assertThat(answer.json().at("/sources/0/filename").asText()).isEqualTo("Dockerfile");
        assertThat(answer.json().has("buildError")).isFalse();
        assertThat(answer.metadata("result.statuscode")).isEqualTo("1");
        assertThat(answer.text())
                .startsWith("\nWARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/\n")
                .contains("""
                        Dockerfile:2
                        --------------------
                           1 |     FROM busybox as build
                           2 | >>> MAINTAINER me
                           3 |     RUN exit 1
                        """)
                .contains("WARNING: JSONArgsRecommended");
    }

    @Test
    void lintOfACleanDockerfileHasStatusZero() throws Exception {
        Answer answer = call("lint", Map.of("Dockerfile", "FROM busybox\nRUN exit 1\nCMD [\"true\"]\n"), Map.of());
        assertThat(answer.json().get("warnings")).isEmpty();
        assertThat(answer.metadata("result.statuscode")).isEqualTo("0");
        assertThat(answer.text()).isEmpty();
    }

    @Test
    void lintReportsADockerfileThatDoesNotParseAsItsBuildError() throws Exception {
        Answer answer = call("lint", Map.of("Dockerfile", "FROM busybox\nCOPY\n"), Map.of());
        assertThat(answer.json().at("/buildError/message").asText())
                .isEqualTo(
                        "dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. "
                                + "Destination could not be determined");
        assertThat(answer.json().at("/buildError/location/ranges/0/start/line").asInt())
                .isEqualTo(2);
        assertThat(answer.metadata("result.statuscode")).isEqualTo("1");
    }

    @Test
    void lintWithErrorTrueReportsTheViolationAsItsBuildError() throws Exception {
        Answer answer =
                call("lint", Map.of("Dockerfile", "# check=error=true\nFROM busybox\nMAINTAINER me\n"), Map.of());
        assertThat(answer.json().get("warnings")).hasSize(1);
        assertThat(answer.json().at("/buildError/message").asText())
                .contains("lint violation found for rules: MaintainerDeprecated");
    }

    @Test
    void describeListsTheSubrequests() throws Exception {
        Answer answer = call("subrequests.describe", Map.of("Dockerfile", "FROM busybox\n"), Map.of());
        List<String> names = new ArrayList<>();
        answer.json().forEach(r -> names.add(r.get("name").asText()));
        assertThat(names)
                .containsExactly(
                        "frontend.outline", "frontend.targets", "frontend.lint", "frontend.subrequests.describe");
        assertThat(answer.text()).startsWith("NAME                 VERSION DESCRIPTION\noutline              1.0.0");
    }

    @Test
    void anUnknownSubrequestIsAnErrorNamingIt() throws Exception {
        Path ctx = builds.context("unknown", Map.of("Dockerfile", "FROM busybox\n"));
        assertThatThrownBy(() ->
                        builds.build(ctx, Map.of("requestid", "frontend.nope"), Map.of(), List.of(), new ArrayList<>()))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("unsupported request frontend.nope");
    }

    private static int contexts;

    /** Asks for {@code frontend.<request>} on a fresh context holding {@code files}. */
    private static Answer call(String request, Map<String, String> files, Map<String, String> opts) throws Exception {
        Path ctx = builds.context(request + "-" + (++contexts), files);
        Map<String, String> options = new LinkedHashMap<>(opts);
        options.put("requestid", "frontend." + request);
        List<ProgressEvent> events = Collections.synchronizedList(new ArrayList<>());
        BuildOutcome outcome = builds.build(ctx, options, Map.of(), List.of(), events);
        assertThat(outcome.result().ref()).isEmpty();
        return new Answer(outcome);
    }

    private record Answer(BuildOutcome outcome) {

        String metadata(String key) {
            return new String(outcome.result().metadata().get(key), StandardCharsets.UTF_8);
        }

        JsonNode json() throws Exception {
            return JSON.readTree(outcome.result().metadata().get("result.json"));
        }

        String text() {
            return metadata("result.txt");
        }
    }
}
