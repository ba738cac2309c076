package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.kiln.engine.gateway.FailedSource;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Result;
import dev.kiln.llb.pb.Position;
import dev.kiln.llb.pb.Range;
import dev.kiln.llb.pb.SourceInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code --call=outline|targets|check[,format=json]} and {@code --check}, buildx's flags: the frontend is asked a
 * question (BuildKit's subrequest, the {@code requestid} option) instead of building, and its answer is printed as
 * buildx prints it. Nothing is built or exported.
 *
 * @param name outline, targets or check
 * @param json {@code format=json}: the answer's JSON rather than its text
 */
record FrontendCall(String name, boolean json) {

    /** The frontend option that names the question. */
    static final String REQUEST_ID = "requestid";

    static final List<String> NAMES = List.of("outline", "targets", "check");

    /** {@code --call}'s value: a name, then {@code format=json|text}, comma-separated. */
    static FrontendCall parse(String value) throws UsageException {
        String[] fields = value.split(",");
        String name = fields[0].strip();
        if (!NAMES.contains(name)) {
            throw new UsageException("--call: expected " + String.join(", ", NAMES) + ", got " + value);
        }
        boolean json = false;
        for (int i = 1; i < fields.length; i++) {
            switch (fields[i].strip()) {
                case "format=json" -> json = true;
                case "format=text" -> json = false;
                default ->
                    throw new UsageException(
                            "--call: expected format=json or format=text after the name, got " + fields[i]);
            }
        }
        return new FrontendCall(name, json);
    }

    /** The subrequest's id, as buildx names it: check is the frontend's lint. */
    String requestId() {
        return "frontend." + (name.equals("check") ? "lint" : name);
    }

    /**
     * A frontend that runs {@code frontend}, keeps its answer's metadata in {@code answer} and returns nothing to
     * export, as buildx's client-side build does: the answer's keys do not reach a Solve's response.
     */
    static BuildFunction capturing(BuildFunction frontend, AtomicReference<Map<String, byte[]>> answer) {
        return client -> {
            answer.set(frontend.build(client).metadata());
            return Result.empty();
        };
    }

    /**
     * Prints the frontend's answer as buildx does and returns the exit status: the check's
     * {@code result.statuscode} (1 with warnings or when the Dockerfile does not build), otherwise 0.
     */
    int print(Map<String, byte[]> metadata, PrintStream out, PrintStream err) throws IOException {
        byte[] json = metadata == null ? null : metadata.get("result.json");
        if (json == null) {
            err.println("kiln: the frontend gave no answer to " + requestId());
            return 1;
        }
        if (this.json) {
            out.println(text(json));
        } else if (name.equals("check")) {
            printCheck(new ObjectMapper().readTree(json), metadata, out, err);
        } else {
            out.print(text(metadata.getOrDefault("result.txt", new byte[0])));
        }
        byte[] status = metadata.get("result.statuscode");
        return status == null ? 0 : Integer.parseInt(text(status).strip());
    }

    private static void printCheck(JsonNode result, Map<String, byte[]> metadata, PrintStream out, PrintStream err) {
        int warnings = result.path("warnings").size();
        if (warnings > 0) {
            out.println("Check complete, "
                    + (warnings == 1 ? "1 warning has been found!" : warnings + " warnings have been found!"));
            out.print(text(metadata.getOrDefault("result.txt", new byte[0])));
        }
        JsonNode error = result.path("buildError");
        if (!error.isMissingNode()) {
            if (warnings > 0) {
                out.println();
            }
            err.println("kiln: check failed: " + error.path("message").asText());
            err.print(frame(result, error.path("location")));
        } else if (warnings == 0) {
            out.println("Check complete, no warnings found.");
        }
    }

    /**
     * The lines a check's error is about, framed under its message as buildx prints them (lint's PrintErrorTo): the
     * location names a source of the answer and its line ranges; empty when it names none.
     */
    private static String frame(JsonNode result, JsonNode location) {
        JsonNode source =
                result.path("sources").path(location.path("sourceIndex").asInt(0));
        if (source.isMissingNode() || location.path("ranges").isEmpty()) {
            return "";
        }
        List<Range> ranges = new java.util.ArrayList<>();
        for (JsonNode range : location.path("ranges")) {
            ranges.add(Range.newBuilder()
                    .setStart(Position.newBuilder()
                            .setLine(range.path("start").path("line").asInt()))
                    .setEnd(Position.newBuilder()
                            .setLine(range.path("end").path("line").asInt()))
                    .build());
        }
        SourceInfo info = SourceInfo.newBuilder()
                .setFilename(source.path("filename").asText())
                .setLanguage(source.path("language").asText())
                // []byte in Go's JSON: base64
                .setData(ByteString.copyFrom(
                        java.util.Base64.getDecoder().decode(source.path("data").asText())))
                .build();
        return new FailedSource(info, ranges).framed();
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
