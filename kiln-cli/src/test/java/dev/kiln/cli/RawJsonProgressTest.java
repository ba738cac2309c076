package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.solver.ProgressEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** --progress=rawjson lines are what buildctl prints, whose encoder is Go's encoding/json with its HTML escaping. */
class RawJsonProgressTest {

    @Test
    void stepNamesAndErrorsAreEscapedAsGoEscapesThem() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        RawJsonProgress progress = new RawJsonProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        Instant at = Instant.parse("2026-12-06T09:00:00Z");

        progress.onEvent(new ProgressEvent.VertexFailed(
                "sha256:b", "[2/3] RUN make >out 2>&1", at, "exit code: 2\n\"<stdin>\" line 1"));

        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo("{\"vertexes\":[{\"digest\":\"sha256:b\","
                        + "\"name\":\"[2/3] RUN make \\u003eout 2\\u003e\\u00261\",\"completed\":\"2026-12-06T09:00:00Z\","
                        + "\"error\":\"exit code: 2\\n\\\"\\u003cstdin\\u003e\\\" line 1\"}]}"
                        + System.lineSeparator());
    }
}
