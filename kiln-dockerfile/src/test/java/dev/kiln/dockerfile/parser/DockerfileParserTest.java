package dev.kiln.dockerfile.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.dockerfile.DockerfileException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class DockerfileParserTest {

    private static ParsedDockerfile parse(String text) {
        return DockerfileParser.parse("Dockerfile", text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void joinsContinuationLinesAndKeepsTheirLineRange() {
        ParsedDockerfile parsed = parse("""
                FROM scratch
                RUN echo a \\
                    && echo b \\
                    && echo c
                """);
        Node run = parsed.nodes().get(1);
        assertThat(run.args()).containsExactly("echo a     && echo b     && echo c");
        assertThat(run.startLine()).isEqualTo(2);
        assertThat(run.endLine()).isEqualTo(4);
    }

    @Test
    void commentsInsideContinuationsAreDroppedAndEmptyContinuationLinesWarn() {
        ParsedDockerfile parsed = parse("""
                FROM scratch
                RUN echo a \\
                # a comment in the middle
                  b \\

                  c
                """);
        assertThat(parsed.nodes().get(1).args()).containsExactly("echo a   b   c");
        assertThat(parsed.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.message()).startsWith("Empty continuation line found in: RUN echo a"));
    }

    @Test
    void escapeDirectiveMakesBacktickTheContinuationCharacter() {
        ParsedDockerfile parsed = parse("""
                # escape=`
                FROM scratch
                RUN dir C:\\ `
                    /w
                """);
        assertThat(parsed.escapeToken()).isEqualTo('`');
        assertThat(parsed.nodes().get(1).args()).containsExactly("dir C:\\     /w");
    }

    @Test
    void directivesCountOnlyAtTheTop() {
        ParsedDockerfile parsed = parse("""
                # syntax=docker/dockerfile:1
                # check=skip=all
                FROM scratch
                # escape=`
                RUN echo \\
                  done
                """);
        assertThat(parsed.directives())
                .extracting(DirectiveParser.Directive::name)
                .containsExactly("syntax", "check");
        assertThat(parsed.escapeToken()).isEqualTo('\\');
        assertThat(parsed.nodes().get(1).args()).containsExactly("echo   done");
    }

    @Test
    void aCommentBeforeADirectiveEndsDirectives() {
        ParsedDockerfile parsed = parse("""
                # hello
                # escape=`
                FROM scratch
                """);
        assertThat(parsed.directives()).isEmpty();
        assertThat(parsed.escapeToken()).isEqualTo('\\');
    }

    @Test
    void jsonAndShellForms() {
        ParsedDockerfile parsed = parse("""
                FROM scratch
                CMD ["echo", "a b"]
                ENTRYPOINT echo "a b"
                RUN [ "not", json
                """);
        assertThat(parsed.nodes().get(1).json()).isTrue();
        assertThat(parsed.nodes().get(1).args()).containsExactly("echo", "a b");
        assertThat(parsed.nodes().get(2).json()).isFalse();
        assertThat(parsed.nodes().get(2).args()).containsExactly("echo \"a b\"");
        assertThat(parsed.nodes().get(3).json()).isFalse();
    }

    @Test
    void flagsBeforeArgumentsAreSeparatedRepeatedFlagsKept() {
        ParsedDockerfile parsed = parse("""
                FROM scratch
                RUN --mount=type=cache,target=/c --mount="type=tmpfs,target=/t" --network=none echo hi
                COPY --from=build --chown=1:2 /a /b
                """);
        assertThat(parsed.nodes().get(1).flags())
                .containsExactly("--mount=type=cache,target=/c", "--mount=type=tmpfs,target=/t", "--network=none");
        assertThat(parsed.nodes().get(1).args()).containsExactly("echo hi");
        assertThat(parsed.nodes().get(2).flags()).containsExactly("--from=build", "--chown=1:2");
        assertThat(parsed.nodes().get(2).args()).containsExactly("/a", "/b");
    }

    @Test
    void envKeepsQuotesForLaterExpansionAndSupportsTheLegacyForm() {
        ParsedDockerfile parsed = parse("""
                FROM scratch
                ENV A="one two" B=three
                ENV LEGACY some value
                """);
        assertThat(parsed.nodes().get(1).args()).containsExactly("A", "\"one two\"", "=", "B", "three", "=");
        assertThat(parsed.nodes().get(2).args()).containsExactly("LEGACY", "some value", "");
    }

    @Test
    void heredocsAreAttachedWithTheirContent() {
        ParsedDockerfile parsed = parse("""
                FROM scratch
                RUN <<EOF
                echo one
                echo two
                EOF
                COPY <<-"A" <<B /dest/
                \t\tliteral $X
                \tA
                b content
                B
                LABEL after=1
                """);
        Node run = parsed.nodes().get(1);
        assertThat(run.heredocs()).singleElement().satisfies(h -> {
            assertThat(h.name()).isEqualTo("EOF");
            assertThat(h.expand()).isTrue();
            assertThat(h.content()).isEqualTo("echo one\necho two\n");
        });
        assertThat(run.endLine()).isEqualTo(5);
        Node copy = parsed.nodes().get(2);
        assertThat(copy.heredocs()).extracting(Heredoc::name).containsExactly("A", "B");
        assertThat(copy.heredocs().get(0).expand()).isFalse();
        assertThat(copy.heredocs().get(0).chomp()).isTrue();
        assertThat(copy.heredocs().get(0).effectiveContent()).isEqualTo("literal $X\n");
        assertThat(copy.heredocs().get(1).content()).isEqualTo("b content\n");
        assertThat(parsed.nodes().get(3).startLine()).isEqualTo(11);
    }

    @Test
    void onbuildKeepsItsTrigger() {
        ParsedDockerfile parsed = parse("""
                FROM scratch
                ONBUILD RUN --network=none echo triggered
                """);
        Node onbuild = parsed.nodes().get(1);
        assertThat(onbuild.trigger().keyword()).isEqualTo("RUN");
        assertThat(onbuild.trigger().flags()).containsExactly("--network=none");
        assertThat(onbuild.args()).containsExactly("RUN", "echo triggered");
    }

    @Test
    void byteOrderMarkAndCarriageReturnsAreIgnored() {
        ParsedDockerfile parsed = parse("\uFEFFFROM scratch\r\nLABEL a=b\r\n");
        assertThat(parsed.nodes()).extracting(Node::keyword).containsExactly("FROM", "LABEL");
        assertThat(parsed.nodes().get(1).args()).containsExactly("a", "b", "=");
    }

    @Test
    void emptyFileIsAnError() {
        assertError("# only a comment\n\n", 2, "file with no instructions");
    }

    @Test
    void unterminatedHeredocIsAnErrorAtTheInstruction() {
        DockerfileException e = assertError("FROM scratch\nRUN <<EOF\necho hi\n", 2, "unterminated heredoc");
        assertThat(e.endLine()).isEqualTo(3);
        assertThat(e.text()).startsWith("RUN <<EOF");
    }

    @Test
    void repeatedDirectiveIsAnError() {
        assertError("# escape=\\\n# escape=`\nFROM scratch\n", 2, "only one escape parser directive can be used");
    }

    @Test
    void invalidEscapeTokenIsAnError() {
        assertError("# escape=x\nFROM scratch\n", 1, "invalid escape token 'x' does not match ` or \\");
    }

    @Test
    void jsonWithNonStringsIsAnError() {
        assertError(
                "FROM scratch\nCMD [\"a\", 1]\n",
                2,
                "when using JSON array syntax, arrays must be comprised of strings only");
    }

    @Test
    void envWithoutValueIsAnError() {
        assertError("FROM scratch\nENV ONLYNAME\n", 2, "ENV must have two arguments");
    }

    @Test
    void envPairWithoutEqualsIsAnError() {
        assertError(
                "FROM scratch\nENV A=1 B\n",
                2,
                "Syntax error - can't find = in \"B\". Must be of the form: name=value");
    }

    @Test
    void aParseErrorIsItsReasonWithTheFileAndItsLinesBeside() {
        // as BuildKit's parser says it: the lines travel as the error's source, for a client to frame
        DockerfileException e = assertError("FROM scratch\nENV X\n", 2, "ENV must have two arguments");
        assertThat(e.getMessage()).isEqualTo("ENV must have two arguments");
        assertThat(e.file()).isEqualTo("Dockerfile");
        assertThat(e.text()).isEqualTo("ENV X");
        assertThat(e.lines()).hasValueSatisfying(lines -> {
            assertThat(lines.filename()).isEqualTo("Dockerfile");
            assertThat(lines.language()).isEqualTo("Dockerfile");
            assertThat(lines.data()).asString(StandardCharsets.UTF_8).isEqualTo("FROM scratch\nENV X\n");
            assertThat(List.of(lines.first(), lines.last())).containsExactly(2, 2);
        });
    }

    @Test
    void anErrorAboutTheWholeFileNamesNoLines() {
        assertThat(new DockerfileException("Dockerfile", "the Dockerfile cannot be empty").lines())
                .isEmpty();
    }

    static DockerfileException assertError(String text, int line, String reason) {
        DockerfileException[] caught = new DockerfileException[1];
        assertThatThrownBy(() -> parse(text)).isInstanceOfSatisfying(DockerfileException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.line()).isEqualTo(line);
            caught[0] = e;
        });
        return caught[0];
    }

    @Test
    void wordsKeepQuotesButDoNotSplitInsideThem() {
        assertThat(LineParsers.words("a \"b c\" 'd e' f\\ g", '\\'))
                .isEqualTo(List.of("a", "\"b c\"", "'d e'", "f\\ g"));
    }
}
