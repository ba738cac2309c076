package dev.kiln.dockerfile.instructions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.dockerfile.DockerfileException;
import dev.kiln.dockerfile.parser.DockerfileParser;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way an instruction can be malformed, with the message and the line a user sees. */
class InstructionErrorsTest {

    static Stream<Arguments> errors() {
        return Stream.of(
                error("FROM scratch\n\nRUNN make\n", 3, "unknown instruction: RUNN (did you mean RUN?)"),
                error("FROM scratch\nfoo bar\n", 2, "unknown instruction: foo (did you mean from?)"),
                error("FROM scratch\nxyzzy\n", 2, "unknown instruction: xyzzy"),
                error("RUN echo\n", 1, "no build stage in current context"),
                error("FROM\n", 1, "FROM requires either one or three arguments"),
                error("FROM a b\n", 1, "FROM requires either one or three arguments"),
                error(
                        "FROM scratch AS 1st\n",
                        1,
                        "invalid name for build stage: \"1st\", name can't start with a number or contain symbols"),
                error("FROM --platfrom=linux/amd64 scratch\n", 1, "unknown flag: --platfrom (did you mean platform?)"),
                error("FROM scratch\nCOPY --chown=1 --chown=2 a b\n", 2, "duplicate flag specified: --chown"),
                error(
                        "FROM scratch\nCOPY --link=maybe a b\n",
                        2,
                        "expecting boolean value for flag --link, not: maybe"),
                error("FROM scratch\nCOPY --link= a b\n", 2, "missing a value on flag: --link"),
                error("FROM scratch\nCOPY --from a b\n", 2, "missing a value on flag: --from"),
                error(
                        "FROM scratch\nCOPY onlyone\n",
                        2,
                        "COPY requires at least two arguments, but only one was provided. Destination could not be determined"),
                error(
                        "FROM scratch\nADD onlyone\n",
                        2,
                        "ADD requires at least two arguments, but only one was provided. Destination could not be determined"),
                error("FROM scratch\nCOPY a <<EOF\nx\nEOF\n", 2, "COPY cannot accept a heredoc as a destination"),
                error("FROM scratch\nENV\n", 2, "ENV requires at least one argument"),
                error("FROM scratch\nLABEL =x\n", 2, "LABEL names can not be blank"),
                error("FROM scratch\nARG\n", 2, "ARG requires at least one argument"),
                error("FROM scratch\nARG =x\n", 2, "ARG names can not be blank"),
                error("FROM scratch\nMAINTAINER\n", 2, "MAINTAINER requires exactly one argument"),
                error("FROM scratch\nWORKDIR\n", 2, "WORKDIR requires exactly one argument"),
                error("FROM scratch\nUSER\n", 2, "USER requires exactly one argument"),
                error("FROM scratch\nSTOPSIGNAL\n", 2, "STOPSIGNAL requires exactly one argument"),
                error("FROM scratch\nEXPOSE\n", 2, "EXPOSE requires at least one argument"),
                error("FROM scratch\nVOLUME\n", 2, "VOLUME requires at least one argument"),
                error("FROM scratch\nVOLUME [\"\"]\n", 2, "VOLUME specified can not be an empty string"),
                error("FROM scratch\nSHELL /bin/bash -c\n", 2, "SHELL requires the arguments to be in JSON form"),
                error("FROM scratch\nSHELL []\n", 2, "SHELL requires at least one argument"),
                error("FROM scratch\nONBUILD\n", 2, "ONBUILD requires at least one argument"),
                error(
                        "FROM scratch\nONBUILD ONBUILD RUN x\n",
                        2,
                        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
                error("FROM scratch\nONBUILD FROM x\n", 2, "FROM isn't allowed as an ONBUILD trigger"),
                error("FROM scratch\nONBUILD MAINTAINER x\n", 2, "MAINTAINER isn't allowed as an ONBUILD trigger"),
                error("FROM scratch\nHEALTHCHECK\n", 2, "HEALTHCHECK requires at least one argument"),
                error("FROM scratch\nHEALTHCHECK NONE x\n", 2, "HEALTHCHECK NONE takes no arguments"),
                error("FROM scratch\nHEALTHCHECK CMD\n", 2, "Missing command after HEALTHCHECK CMD"),
                error("FROM scratch\nHEALTHCHECK RUN x\n", 2, "Unknown type \"RUN\" in HEALTHCHECK (try CMD)"),
                error(
                        "FROM scratch\nHEALTHCHECK --interval=1x CMD x\n",
                        2,
                        "time: unknown unit \"x\" in duration \"1x\""),
                error(
                        "FROM scratch\nHEALTHCHECK --timeout=1ns CMD x\n",
                        2,
                        "Interval \"timeout\" cannot be less than 1ms"),
                error("FROM scratch\nHEALTHCHECK --retries=-1 CMD x\n", 2, "--retries cannot be negative (-1)"),
                error("FROM scratch\nRUN --network=bridge x\n", 2, "invalid network mode \"bridge\""),
                error("FROM scratch\nRUN --security=root x\n", 2, "security \"root\" is not valid"),
                error(
                        "FROM scratch\nRUN --mount=from=$X,target=/a x\n",
                        2,
                        "'from' doesn't support variable expansion, define alias stage instead"),
                error(
                        "FROM scratch\nRUN --mount='target=/x,\"bad\"quote' x\n",
                        2,
                        "failed to parse csv mounts: extraneous or missing \" in quoted-field"),
                error("FROM scratch\nRUN --mont=type=cache x\n", 2, "unknown flag: --mont (did you mean mount?)"),
                error("FROM scratch\nRUN \\\n  --bogus x\n", 2, "unknown flag: --bogus"));
    }

    private static Arguments error(String dockerfile, int line, String reason) {
        return Arguments.of(dockerfile, line, reason);
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("errors")
    void reportsTheProblemAtItsLine(String dockerfile, int line, String reason) {
        assertThatThrownBy(() -> DockerfileStages.of(
                        DockerfileParser.parse("Dockerfile", dockerfile.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOfSatisfying(DockerfileException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.line()).isEqualTo(line);
                    // as buildkitd v0.24.0 words each: an instruction it cannot read says its line, an instruction
                    // before any FROM is its reason alone
                    assertThat(e.getMessage())
                            .isEqualTo(
                                    reason.equals("no build stage in current context")
                                            ? reason
                                            : "dockerfile parse error on line " + line + ": " + reason);
                    assertThat(e.lines()).hasValueSatisfying(lines -> {
                        assertThat(lines.filename()).isEqualTo("Dockerfile");
                        assertThat(lines.first()).isEqualTo(line);
                        assertThat(lines.data())
                                .asString(StandardCharsets.UTF_8)
                                .isEqualTo(dockerfile);
                    });
                });
    }
}
