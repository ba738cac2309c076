package dev.kiln.cli.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.kiln.api.control.CacheOptionsEntry;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.control.StatusResponse;
import dev.kiln.api.control.VertexStatus;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The client's hand-written Control messages hold to the generated classes, both ways, field by field. */
class ControlCallsTest {

    @Test
    void aSolveRequestReadsBackThroughTheGeneratedClassWithEveryField() throws Exception {
        byte[] definition = {10, 3, 1, 2, 3};
        ControlCalls.SolveRequest request = new ControlCalls.SolveRequest(
                "ref-1",
                definition,
                "session-1",
                "dockerfile.v0",
                Map.of("filename", "Dockerfile", "build-arg:ünï", "çödé"),
                List.of("network.host"),
                List.of(
                        new ControlCalls.Exporter("oci", Map.of("dest", "/tmp/x.tar")),
                        new ControlCalls.Exporter("image", Map.of("name", "a/b:c", "push", "true"))),
                List.of(new ControlCalls.CacheEntry("local", Map.of("dest", "/cache", "mode", "max"))),
                List.of(new ControlCalls.CacheEntry("local", Map.of("src", "/cache"))));

        dev.kiln.api.control.SolveRequest parsed = dev.kiln.api.control.SolveRequest.parseFrom(request.encode());

        assertThat(parsed.getRef()).isEqualTo("ref-1");
        assertThat(parsed.getDefinition().toByteArray()).isEqualTo(definition);
        assertThat(parsed.getSession()).isEqualTo("session-1");
        assertThat(parsed.getFrontend()).isEqualTo("dockerfile.v0");
        assertThat(parsed.getFrontendAttrsMap())
                .containsExactlyInAnyOrderEntriesOf(Map.of("filename", "Dockerfile", "build-arg:ünï", "çödé"));
        assertThat(parsed.getEntitlementsList()).containsExactly("network.host");
        assertThat(parsed.getExportersList()).extracting(e -> e.getType()).containsExactly("oci", "image");
        assertThat(parsed.getExporters(1).getAttrsMap())
                .containsExactlyInAnyOrderEntriesOf(Map.of("name", "a/b:c", "push", "true"));
        assertThat(parsed.getExporterDeprecated()).isEqualTo("oci");
        assertThat(parsed.getExporterAttrsDeprecatedMap()).containsExactly(Map.entry("dest", "/tmp/x.tar"));
        assertThat(parsed.hasCache()).isTrue();
        assertThat(parsed.getCache().getExportsList())
                .containsExactly(CacheOptionsEntry.newBuilder()
                        .setType("local")
                        .putAttrs("dest", "/cache")
                        .putAttrs("mode", "max")
                        .build());
        assertThat(parsed.getCache().getImportsList())
                .extracting(CacheOptionsEntry::getAttrsMap)
                .containsExactly(Map.of("src", "/cache"));
    }

    @Test
    void aStatusResponseFromTheGeneratedClassDecodesToItsVertexesLogsAndWarnings() {
        Timestamp started =
                Timestamp.newBuilder().setSeconds(1_700_000_000L).setNanos(250).build();
        Timestamp completed = Timestamp.newBuilder().setSeconds(1_700_000_003L).build();
        StatusResponse status = StatusResponse.newBuilder()
                .addVertexes(dev.kiln.api.control.Vertex.newBuilder()
                        .setDigest("sha256:a")
                        .setName("[1/2] RUN x")
                        .addInputs("sha256:z")
                        .setStarted(started)
                        .setCompleted(completed)
                        .setCached(true)
                        .setProgressGroup(ByteString.copyFromUtf8("a group the client skips")))
                .addVertexes(dev.kiln.api.control.Vertex.newBuilder()
                        .setDigest("sha256:b")
                        .setError("exit code: 3"))
                .addStatuses(VertexStatus.newBuilder()
                        .setID("pull")
                        .setVertex("sha256:a")
                        .setCurrent(5)
                        .setTotal(9))
                .addLogs(dev.kiln.api.control.VertexLog.newBuilder()
                        .setVertex("sha256:a")
                        .setTimestamp(completed)
                        .setStream(2)
                        .setMsg(ByteString.copyFrom(new byte[] {0, (byte) 0xff, 'x'})))
                .addWarnings(dev.kiln.api.control.VertexWarning.newBuilder()
                        .setVertex("sha256:a")
                        .setLevel(1)
                        .setShort(ByteString.copyFromUtf8("JSONArgsRecommended: use JSON"))
                        .addDetail(ByteString.copyFromUtf8("detail"))
                        .setUrl("https://example.invalid"))
                .build();

        ControlCalls.StatusUpdate update = ControlCalls.StatusUpdate.decode(status.toByteArray());

        assertThat(update.vertexes())
                .containsExactly(
                        new ControlCalls.Vertex(
                                "sha256:a",
                                "[1/2] RUN x",
                                true,
                                Instant.ofEpochSecond(1_700_000_000L, 250),
                                Instant.ofEpochSecond(1_700_000_003L),
                                ""),
                        new ControlCalls.Vertex("sha256:b", "", false, null, null, "exit code: 3"));
        assertThat(update.logs()).singleElement().satisfies(log -> {
            assertThat(log.vertex()).isEqualTo("sha256:a");
            assertThat(log.stream()).isEqualTo(2);
            assertThat(log.timestamp()).isEqualTo(Instant.ofEpochSecond(1_700_000_003L));
            assertThat(Arrays.equals(log.data(), new byte[] {0, (byte) 0xff, 'x'}))
                    .isTrue();
        });
        assertThat(update.warnings())
                .containsExactly(new ControlCalls.VertexWarning("sha256:a", "JSONArgsRecommended: use JSON"));
    }

    @Test
    void aSolveResponseGivesItsExporterResponse() {
        byte[] response = SolveResponse.newBuilder()
                .putExporterResponse("containerimage.digest", "sha256:d")
                .putExporterResponse("image.name", "a/b:c")
                .build()
                .toByteArray();

        assertThat(ControlCalls.decodeSolveResponse(response))
                .containsExactlyInAnyOrderEntriesOf(Map.of("containerimage.digest", "sha256:d", "image.name", "a/b:c"));
        assertThat(ControlCalls.decodeSolveResponse(new byte[0])).isEmpty();
    }

    @Test
    void aMessageCutShortIsMalformedNamingWhere() {
        byte[] whole = StatusResponse.newBuilder()
                .addVertexes(dev.kiln.api.control.Vertex.newBuilder()
                        .setDigest("sha256:" + "a".repeat(64))
                        .setName("step"))
                .build()
                .toByteArray();
        byte[] cut = Arrays.copyOf(whole, whole.length - 10);

        assertThatThrownBy(() -> ControlCalls.StatusUpdate.decode(cut))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("malformed protobuf message: ")
                .hasMessageContaining("offset");
        assertThatThrownBy(() -> ControlCalls.decodeSolveResponse(new byte[] {0x0b}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("wire type 3");
    }
}
