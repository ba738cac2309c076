package dev.kiln.cli;

import dev.kiln.core.GoJson;
import dev.kiln.solver.ProgressEvent;
import dev.kiln.solver.ProgressListener;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Base64;

/**
 * One JSON object per line for tools, shaped like BuildKit's SolveStatus as {@code buildctl
 * --progress=rawjson} prints it: {@code vertexes} for state changes, {@code logs} for output
 * (base64, as there), {@code warnings} for warnings.
 */
final class RawJsonProgress implements ProgressListener {

    private final PrintStream out;

    RawJsonProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public synchronized void onEvent(ProgressEvent event) {
        String line = switch (event) {
            case ProgressEvent.VertexStarted e -> vertex(e, "\"started\":" + time(e.timestamp()));
            case ProgressEvent.VertexCached e -> vertex(e, "\"cached\":true,\"started\":" + time(e.timestamp())
                    + ",\"completed\":" + time(e.timestamp()));
            case ProgressEvent.VertexCompleted e -> vertex(e, "\"started\":" + time(e.timestamp().minus(e.duration()))
                    + ",\"completed\":" + time(e.timestamp()));
            case ProgressEvent.VertexFailed e -> vertex(e, "\"completed\":" + time(e.timestamp())
                    + ",\"error\":" + GoJson.string(e.message()));
            case ProgressEvent.VertexLog e -> "{\"logs\":[{\"vertex\":" + GoJson.string(e.vertexDigest())
                    + ",\"stream\":" + e.stream() + ",\"data\":\"" + Base64.getEncoder().encodeToString(e.data())
                    + "\",\"timestamp\":" + time(e.timestamp()) + "}]}";
            case ProgressEvent.VertexWarning e -> "{\"warnings\":[{\"vertex\":" + GoJson.string(e.vertexDigest())
                    + ",\"level\":1,\"short\":\"" + Base64.getEncoder().encodeToString(
                            e.message().getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\"}]}";
        };
        out.println(line);
        out.flush();
    }

    private static String vertex(ProgressEvent event, String fields) {
        return "{\"vertexes\":[{\"digest\":" + GoJson.string(event.vertexDigest()) + ",\"name\":"
                + GoJson.string(event.vertexName()) + "," + fields + "}]}";
    }

    private static String time(Instant instant) {
        return GoJson.string(instant.toString());
    }
}
