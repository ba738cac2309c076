package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which frontend image a Dockerfile hands its build to, as BuildKit's Dockerfile frontend decides it. */
class SyntaxForwardingTest {

    private static byte[] dockerfile(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void syntaxLineNamesTheImageAndItsWholeValueIsTheCmdline() {
        var syntax = DockerfileFrontend.syntax(
                Map.of(), dockerfile("# syntax=registry.example/me/df:1 --flag\nFROM scratch\n"));

        assertThat(syntax).hasValueSatisfying(s -> {
            assertThat(s.image()).isEqualTo("registry.example/me/df:1");
            assertThat(s.cmdline()).isEqualTo("registry.example/me/df:1 --flag");
            assertThat(s.line()).isEqualTo(1);
        });
    }

    @Test
    void buildArgumentOverridesTheSyntaxLine() {
        var syntax = DockerfileFrontend.syntax(
                Map.of("build-arg:BUILDKIT_SYNTAX", "other.example/df:2"),
                dockerfile("# syntax=registry.example/me/df:1\nFROM scratch\n"));

        assertThat(syntax).hasValueSatisfying(s -> {
            assertThat(s.image()).isEqualTo("other.example/df:2");
            assertThat(s.fromBuildArg()).isTrue();
        });
    }

    @Test
    void dockersOwnDockerfileImagesAndForwardedBuildsAreBuiltHere() {
        assertThat(DockerfileFrontend.syntax(Map.of(), dockerfile("# syntax=docker/dockerfile:1\nFROM scratch\n")))
                .isEmpty();
        assertThat(DockerfileFrontend.syntax(
                        Map.of(), dockerfile("# syntax=docker.io/docker/dockerfile-upstream:master\nFROM scratch\n")))
                .isEmpty();
        // an engine that ran a syntax image passes cmdline: that image builds the Dockerfile itself
        assertThat(DockerfileFrontend.syntax(
                        Map.of("cmdline", "registry.example/me/df:1"),
                        dockerfile("# syntax=registry.example/me/df:1\nFROM scratch\n")))
                .isEmpty();
        assertThat(DockerfileFrontend.syntax(Map.of(), dockerfile("FROM scratch\n")))
                .isEmpty();
    }
}
