package dev.kiln.cli;

import dev.kiln.core.GoJson;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Base64;

/**
 * One JSON object per line for tools, shaped like BuildKit's SolveStatus as {@code buildctl
 * --progress=rawjson} prints it: {@code vertexes} for state changes, {@code logs} for output
 * (base64, as there), {@code warnings} for warnings. After the build, each vertex that ran appears once more
 * with Kiln's {@code cacheMiss} object, which says why it missed the cache.
 */
final class RawJsonProgress implements Progress.Display {

    private final PrintStream out;

    RawJsonProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public synchronized void onEvent(Progress event) {
        String line = switch (event) {
            case Progress.VertexStarted e -> vertex(e, "\"started\":" + time(e.timestamp()));
            case Progress.VertexCached e ->
                vertex(
                        e,
                        "\"cached\":true,\"started\":" + time(e.timestamp()) + ",\"completed\":" + time(e.timestamp()));
            case Progress.VertexCompleted e ->
                vertex(
                        e,
                        "\"started\":" + time(e.timestamp().minus(e.duration())) + ",\"completed\":"
                                + time(e.timestamp()));
            case Progress.VertexFailed e ->
                vertex(e, "\"completed\":" + time(e.timestamp()) + ",\"error\":" + GoJson.string(e.message()));
            case Progress.VertexLog e ->
                "{\"logs\":[{\"vertex\":" + GoJson.string(e.vertexDigest())
                        + ",\"stream\":" + e.stream() + ",\"data\":\""
                        + Base64.getEncoder().encodeToString(e.data())
                        + "\",\"timestamp\":" + time(e.timestamp()) + "}]}";
            case Progress.VertexWarning e ->
                "{\"warnings\":[{\"vertex\":" + GoJson.string(e.vertexDigest())
                        + ",\"level\":1,\"short\":\""
                        + Base64.getEncoder()
                                .encodeToString(e.message().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        + "\"}]}";
            case Progress.VertexExplained e -> vertex(e, "\"cacheMiss\":" + cacheMiss(e));
        };
        out.println(line);
        out.flush();
    }

    private static String vertex(Progress event, String fields) {
        return "{\"vertexes\":[{\"digest\":" + GoJson.string(event.vertexDigest()) + ",\"name\":"
                + GoJson.string(event.vertexName()) + "," + fields + "}]}";
    }

    /**
     * Kiln's addition to a vertex: {@code {"reason":"build-arg","message":"build argument V changed: ...","name":"V",
     * "old":"1","new":"2"}}, the details in name order.
     */
    private static String cacheMiss(Progress.VertexExplained e) {
        var json = new StringBuilder("{\"reason\":")
                .append(GoJson.string(e.reason()))
                .append(",\"message\":")
                .append(GoJson.string(e.message()));
        new java.util.TreeMap<>(e.details()).forEach((key, value) -> {
            if (!key.equals("reason") && !key.equals("message")) {
                json.append(',').append(GoJson.string(key)).append(':').append(GoJson.string(value));
            }
        });
        return json.append('}').toString();
    }

    private static String time(Instant instant) {
        return GoJson.string(instant.toString());
    }
}
