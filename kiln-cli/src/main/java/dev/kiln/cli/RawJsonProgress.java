package dev.kiln.cli;

import dev.kiln.core.GoJson;
import dev.kiln.solver.ProgressEvent;
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
    public synchronized void onEvent(ProgressEvent event) {
        String line = switch (event) {
            case ProgressEvent.VertexStarted e -> vertex(e, "\"started\":" + time(e.timestamp()));
            case ProgressEvent.VertexCached e ->
                vertex(
                        e,
                        "\"cached\":true,\"started\":" + time(e.timestamp()) + ",\"completed\":" + time(e.timestamp()));
            case ProgressEvent.VertexCompleted e ->
                vertex(
                        e,
                        "\"started\":" + time(e.timestamp().minus(e.duration())) + ",\"completed\":"
                                + time(e.timestamp()));
            case ProgressEvent.VertexFailed e ->
                vertex(e, "\"completed\":" + time(e.timestamp()) + ",\"error\":" + GoJson.string(e.message()));
            case ProgressEvent.VertexLog e ->
                "{\"logs\":[{\"vertex\":" + GoJson.string(e.vertexDigest())
                        + ",\"stream\":" + e.stream() + ",\"data\":\""
                        + Base64.getEncoder().encodeToString(e.data())
                        + "\",\"timestamp\":" + time(e.timestamp()) + "}]}";
            case ProgressEvent.VertexWarning e ->
                "{\"warnings\":[{\"vertex\":" + GoJson.string(e.vertexDigest())
                        + ",\"level\":1,\"short\":\""
                        + Base64.getEncoder()
                                .encodeToString(e.message().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        + "\"}]}";
        };
        out.println(line);
        out.flush();
    }

    @Override
    public synchronized void onExplained(Progress.VertexExplained e) {
        out.println(vertex(e.vertexDigest(), e.vertexName(), "\"cacheMiss\":" + cacheMiss(e)));
        out.flush();
    }

    private static String vertex(ProgressEvent event, String fields) {
        return vertex(event.vertexDigest(), event.vertexName(), fields);
    }

    private static String vertex(String digest, String name, String fields) {
        return "{\"vertexes\":[{\"digest\":" + GoJson.string(digest) + ",\"name\":" + GoJson.string(name) + "," + fields
                + "}]}";
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
