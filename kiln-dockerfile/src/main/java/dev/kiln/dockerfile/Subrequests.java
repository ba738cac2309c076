package dev.kiln.dockerfile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.dockerfile.convert.DockerfileConverter;
import dev.kiln.dockerfile.convert.Linter;
import dev.kiln.dockerfile.convert.Outline;
import dev.kiln.dockerfile.instructions.DockerfileStages;
import dev.kiln.dockerfile.instructions.Instruction;
import dev.kiln.dockerfile.instructions.Stage;
import dev.kiln.dockerfile.parser.ParsedDockerfile;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Result;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Dockerfile frontend's answers to BuildKit's subrequests (the {@code requestid} option): instead of a build,
 * a result whose metadata holds the answer as {@code result.json} (BuildKit's field names), {@code result.txt}
 * (as buildx prints it), {@code version}, and for the lint its {@code result.statuscode}. These are what
 * {@code docker buildx build --call=outline|targets|check} ask for.
 */
final class Subrequests {

    /** The subrequests this frontend answers, in the order {@code frontend.subrequests.describe} lists them. */
    enum Request {
        OUTLINE("frontend.outline", "List all parameters current build target supports"),
        TARGETS("frontend.targets", "List all targets current build supports"),
        LINT("frontend.lint", "Lint a Dockerfile"),
        DESCRIBE("frontend.subrequests.describe", "List available subrequest types");

        /** The frontend option that names a subrequest. */
        static final String OPTION = "requestid";

        final String id;
        final String description;

        Request(String id, String description) {
            this.id = id;
            this.description = description;
        }

        /**
         * The subrequest the build options name, if they name one.
         *
         * @throws GatewayException for one this frontend does not answer, named as BuildKit names it
         */
        static Optional<Request> of(Map<String, String> opts) {
            String id = opts.get(OPTION);
            if (id == null) {
                return Optional.empty();
            }
            for (Request request : values()) {
                if (request.id.equals(id)) {
                    return Optional.of(request);
                }
            }
            throw new GatewayException("unsupported request " + id);
        }
    }

    private static final String VERSION = "1.0.0";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Go's json.MarshalIndent with two spaces, which BuildKit's answers are written with. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .setDefaultPrettyPrinter(new DefaultPrettyPrinter(Separators.createDefaultInstance()
                            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                            .withObjectEmptySeparator("")
                            .withArrayEmptySeparator(""))
                    .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
                    .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n")));

    private Subrequests() {}

    /** The subrequests this frontend answers, as {@code frontend.subrequests.describe} lists them. */
    static Result describe() {
        ArrayNode all = NODES.arrayNode();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("NAME", "VERSION", "DESCRIPTION"));
        for (Request request : Request.values()) {
            all.add(describe(request));
            rows.add(List.of(request.id.substring("frontend.".length()), VERSION, request.description));
        }
        return answer(all, SubrequestText.table(rows, 1));
    }

    /** A subrequest as describe lists it: its options, inputs, metadata keys and refs. */
    private static ObjectNode describe(Request request) {
        ObjectNode node = NODES.objectNode()
                .put("name", request.id)
                .put("version", VERSION)
                .put("type", "rpc")
                .put("description", request.description);
        switch (request) {
            case OUTLINE ->
                node.putArray("opts").addObject().put("name", "target").put("description", "Target build stage");
            case DESCRIBE -> node.putNull("opts");
            default -> node.putArray("opts");
        }
        node.putNull("inputs");
        ArrayNode metadata = node.putArray("metadata");
        metadata.addObject().put("name", "result.json").put("description", "");
        metadata.addObject().put("name", "result.txt").put("description", "");
        if (request == Request.LINT) {
            metadata.addObject().put("name", "result.statuscode").put("description", "");
        }
        node.putNull("refs");
        return node;
    }

    /**
     * The stages a build can target, in order, the last one the default: names, descriptions (the comment above
     * FROM that starts with the stage's name), bases and platforms as written.
     */
    static Result targets(ParsedDockerfile parsed, byte[] data) {
        List<Stage> stages = DockerfileStages.of(parsed).stages();
        ObjectNode list = NODES.objectNode();
        ArrayNode targets = list.putArray("targets");
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("TARGET", "DESCRIPTION"));
        for (int i = 0; i < stages.size(); i++) {
            Instruction.From from = stages.get(i).from();
            String name = stages.get(i).name();
            String description = Outline.description(from.origin().comments(), name);
            boolean isDefault = i == stages.size() - 1;
            ObjectNode target = targets.addObject();
            putIfNotEmpty(target, "name", name);
            if (isDefault) {
                target.put("default", true);
            }
            putIfNotEmpty(target, "description", description);
            putIfNotEmpty(target, "base", from.baseName());
            putIfNotEmpty(target, "platform", from.platform());
            target.set(
                    "location",
                    location(from.origin().startLine(), from.origin().endLine()));
            String shown = isDefault ? (name.isEmpty() ? "(default)" : name + " (default)") : name;
            rows.add(List.of(shown, description));
        }
        list.putArray("sources").add(data);
        return answer(list, SubrequestText.table(rows, 1));
    }

    /** What the target takes from its caller: build arguments with their values and descriptions, secrets, SSH. */
    static Result outline(Outline outline, byte[] data) {
        ObjectNode json = NODES.objectNode();
        putIfNotEmpty(json, "name", outline.name());
        putIfNotEmpty(json, "description", outline.description());
        StringBuilder text = new StringBuilder();
        if (!outline.name().isEmpty() || !outline.description().isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("TARGET:", outline.name().isEmpty() ? "(default)" : outline.name()));
            if (!outline.description().isEmpty()) {
                rows.add(List.of("DESCRIPTION:", outline.description()));
            }
            text.append(SubrequestText.table(rows, 1)).append('\n');
        }
        if (!outline.args().isEmpty()) {
            ArrayNode args = json.putArray("args");
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("BUILD ARG", "VALUE", "DESCRIPTION"));
            for (Outline.Arg arg : outline.args()) {
                String value = arg.value() == null ? "" : arg.value();
                ObjectNode node = args.addObject().put("name", arg.name());
                putIfNotEmpty(node, "description", arg.description());
                putIfNotEmpty(node, "value", value);
                node.set("location", location(arg.lines().start(), arg.lines().end()));
                rows.add(List.of(arg.name(), value, arg.description()));
            }
            text.append(SubrequestText.table(rows, 3)).append('\n');
        }
        clientMounts(json, text, "secrets", "SECRET", outline.secrets());
        clientMounts(json, text, "ssh", "SSH", outline.ssh());
        json.putArray("sources").add(data);
        return answer(json, text.toString());
    }

    private static void clientMounts(
            ObjectNode json, StringBuilder text, String field, String header, List<Outline.ClientMount> mounts) {
        if (mounts.isEmpty()) {
            return;
        }
        ArrayNode list = json.putArray(field);
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of(header, "REQUIRED"));
        for (Outline.ClientMount mount : mounts) {
            ObjectNode node = list.addObject().put("name", mount.name());
            if (mount.required()) {
                node.put("required", true);
            }
            node.set("location", location(mount.lines().start(), mount.lines().end()));
            rows.add(List.of(mount.name(), mount.required() ? "true" : ""));
        }
        text.append(SubrequestText.table(rows, 3)).append('\n');
    }

    /**
     * The build checks' warnings with the lines they point at, and the reason the Dockerfile does not convert if
     * it does not; {@code result.statuscode} is 1 when there is either.
     */
    static Result lint(DockerfileConverter.LintReport report, String filename, byte[] data) {
        ObjectNode json = NODES.objectNode();
        ArrayNode warnings = json.putArray("warnings");
        // as BuildKit prints them: those tied to no line first, by rule, then by line
        List<Linter.Warning> sorted = report.warnings().stream()
                .sorted(Comparator.<Linter.Warning>comparingInt(w -> w.startLine() > 0 ? 1 : 0)
                        .thenComparing(w -> w.startLine() > 0 ? "" : w.rule().ruleName())
                        .thenComparingInt(Linter.Warning::startLine))
                .toList();
        StringBuilder text = new StringBuilder();
        for (Linter.Warning warning : sorted) {
            ObjectNode node =
                    warnings.addObject().put("ruleName", warning.rule().ruleName());
            putIfNotEmpty(node, "description", warning.rule().description());
            putIfNotEmpty(node, "url", warning.rule().url());
            putIfNotEmpty(node, "detail", warning.message());
            node.set("location", location(warning.startLine(), warning.endLine()));
            text.append("\nWARNING: ").append(warning.rule().ruleName());
            if (!warning.rule().url().isEmpty()) {
                text.append(" - ").append(warning.rule().url());
            }
            text.append('\n').append(warning.message()).append('\n');
            if (warning.startLine() > 0) {
                text.append(SubrequestText.source(filename, data, warning.startLine(), warning.endLine()));
            }
        }
        ArrayNode sources = json.putArray("sources");
        sources.addObject().put("filename", filename).put("data", data).put("language", "Dockerfile");
        report.error()
                .ifPresent(error -> json.putObject("buildError")
                        .put("message", error.getMessage())
                        .set("location", location(error.line(), error.endLine())));
        boolean failed = !report.warnings().isEmpty() || report.error().isPresent();
        return answer(json, text.toString())
                .withMetadata("result.statuscode", (failed ? "1" : "0").getBytes(StandardCharsets.UTF_8));
    }

    /** A solver location (pb.Location) in JSON: lines {@code start}..{@code end} of source 0; none for line 0. */
    private static ObjectNode location(int start, int end) {
        ObjectNode location = NODES.objectNode();
        if (start > 0) {
            ObjectNode range = location.putArray("ranges").addObject();
            range.putObject("start").put("line", start);
            range.putObject("end").put("line", Math.max(start, end));
        }
        return location;
    }

    private static void putIfNotEmpty(ObjectNode node, String field, String value) {
        if (value != null && !value.isEmpty()) {
            node.put(field, value);
        }
    }

    private static Result answer(com.fasterxml.jackson.databind.JsonNode json, String text) {
        byte[] encoded;
        try {
            encoded = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a subrequest answer does not encode as JSON", e);
        }
        return Result.empty()
                .withMetadata("result.json", encoded)
                .withMetadata("result.txt", text.getBytes(StandardCharsets.UTF_8))
                .withMetadata("version", VERSION.getBytes(StandardCharsets.UTF_8));
    }
}
