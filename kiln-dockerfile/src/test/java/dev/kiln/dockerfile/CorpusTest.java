package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.BuildException;
import dev.kiln.engine.Warning;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Builds every Dockerfile of the corpus (src/test/resources/corpus/NAME: a Dockerfile, its context files and
 * an {@code expect} file, see {@link Expectations}) for real, FROM a busybox named context, and checks the
 * exported files, the image config and the warnings, or the error. Cases build concurrently on one engine,
 * as independent builds of one daemon would.
 */
@Execution(ExecutionMode.CONCURRENT)
class CorpusTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    static Stream<String> cases() throws IOException, URISyntaxException {
        try (Stream<Path> dirs = Files.list(corpus())) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList().stream();
        }
    }

    private static Path corpus() throws URISyntaxException {
        return Path.of(CorpusTest.class.getResource("/corpus").toURI());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void buildsAsDockerDoes(String name) throws Exception {
        Path dir = corpus().resolve(name);
        Expectations expect = Expectations.read(dir.resolve("expect"));
        Map<String, Path> locals = new LinkedHashMap<>();
        expect.locals().forEach((local, path) -> locals.put(local, dir.resolve(path)));
        DockerfileBuilds.Build build;
        try {
            build = builds.build(dir, expect.opts(), locals, expect.allow());
        } catch (BuildException e) {
            if (expect.error() == null) {
                throw e;
            }
            assertThat(e.getMessage()).contains(expect.error());
            return;
        }
        if (expect.error() != null) {
            fail("expected the build to fail with \"" + expect.error() + "\", but it succeeded");
        }
        JsonNode config = JSON.readTree(build.config());
        for (Expectations.Check check : expect.checks()) {
            verify(check, build, config);
        }
    }

    private static void verify(Expectations.Check check, DockerfileBuilds.Build build, JsonNode config)
            throws IOException {
        Path out = build.out();
        switch (check) {
            case Expectations.Check.FileEquals(var path, var text) ->
                assertThat(Files.readString(out.resolve(rel(path)), StandardCharsets.UTF_8))
                        .as(path)
                        .isEqualTo(text);
            case Expectations.Check.FileContains(var path, var text) ->
                assertThat(Files.readString(out.resolve(rel(path)), StandardCharsets.UTF_8))
                        .as(path)
                        .contains(text);
            case Expectations.Check.Dir(var path) ->
                assertThat(out.resolve(rel(path))).as(path).isDirectory();
            case Expectations.Check.Absent(var path) ->
                assertThat(Files.exists(out.resolve(rel(path)), LinkOption.NOFOLLOW_LINKS))
                        .as(path + " exists")
                        .isFalse();
            case Expectations.Check.Mode(var path, var mode) ->
                assertThat(Integer.toOctalString((Integer) Files.getAttribute(
                                        out.resolve(rel(path)), "unix:mode", LinkOption.NOFOLLOW_LINKS)
                                & 07777))
                        .as("mode of " + path)
                        .isEqualTo(Integer.toOctalString(mode));
            case Expectations.Check.Owner(var path, var owner) ->
                assertThat(build.owner(path)).as("owner of " + path).isEqualTo(owner);
            case Expectations.Check.Link(var path, var target) ->
                assertThat(Files.readSymbolicLink(out.resolve(rel(path))).toString())
                        .as(path)
                        .isEqualTo(target);
            case Expectations.Check.ConfigEquals(var pointer, var json) ->
                assertThat(config.at(pointer)).as(pointer + " in " + config).isEqualTo(JSON.readTree(json));
            case Expectations.Check.ConfigContains(var pointer, var text) ->
                assertThat(config.at(pointer).toString())
                        .as(pointer + " in " + config)
                        .contains(text);
            case Expectations.Check.ConfigAbsent(var pointer) ->
                assertThat(config.at(pointer).isMissingNode())
                        .as(pointer + " absent from " + config)
                        .isTrue();
            case Expectations.Check.Warning(var text, var expected) -> {
                List<String> messages = build.outcome().warnings().stream()
                        .map(Warning::message)
                        .toList();
                if (expected) {
                    assertThat(messages).as("warnings").anyMatch(m -> m.contains(text));
                } else {
                    assertThat(messages).as("warnings").noneMatch(m -> m.contains(text));
                }
            }
            case Expectations.Check.Ran(var text, var expected) -> {
                List<String> ran = new java.util.ArrayList<>(build.executed());
                ran.addAll(build.cached());
                if (expected) {
                    assertThat(ran).as("steps run").anyMatch(n -> n.contains(text));
                } else {
                    assertThat(ran).as("steps run").noneMatch(n -> n.contains(text));
                }
            }
        }
    }

    private static String rel(String path) {
        return path.startsWith("/") ? path.substring(1) : path;
    }
}
