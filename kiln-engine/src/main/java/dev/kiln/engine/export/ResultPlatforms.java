package dev.kiln.engine.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.Platform;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A result with one reference per platform, as BuildKit's exporters read it: the references are keyed by platform
 * id ({@code linux/arm64}), the metadata key {@value #PLATFORMS_KEY} (BuildKit's {@code exptypes.ExporterPlatformsKey})
 * lists the platforms in order, and each platform's image config is under {@code containerimage.config/<id>}. A
 * result without per-platform references is a single image, which the exporters write as they always have.
 *
 * @param platforms the platforms in the order the frontend listed them
 */
record ResultPlatforms(List<PlatformPart> platforms) {

    static final String PLATFORMS_KEY = Result.PLATFORMS_KEY;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One platform's share of the result.
     *
     * @param id the platform's id, the key of its reference ({@code linux/arm64})
     * @param ref its files; null for a platform whose result is scratch
     * @param config the frontend's image config for it, if it gave one
     * @param baseConfig the config of the image it was built on, if the frontend told it
     */
    record PlatformPart(
            String id, Platform platform, Reference ref, Optional<byte[]> config, Optional<byte[]> baseConfig) {

        /** The directory a file export writes this platform's files into: BuildKit's {@code linux_arm64}. */
        String directory() {
            return id.replace('/', '_');
        }
    }

    ResultPlatforms {
        platforms = List.copyOf(platforms);
    }

    /**
     * The platforms of {@code result} when it has one reference per platform; empty for a single-image result.
     *
     * @throws GatewayException when the references and the platform list disagree
     */
    static Optional<ResultPlatforms> of(Result result) {
        if (result.refs().isEmpty()) {
            return Optional.empty();
        }
        byte[] json = result.metadata(PLATFORMS_KEY)
                .orElseThrow(() -> new GatewayException("the result has one reference per platform "
                        + result.refs().keySet() + " but no " + PLATFORMS_KEY + " metadata listing them"));
        List<PlatformPart> parts = new ArrayList<>();
        for (Map.Entry<String, Platform> entry : parse(json).entrySet()) {
            String id = entry.getKey();
            if (!result.refs().containsKey(id)) {
                throw new GatewayException("the result lists platform " + id + " in " + PLATFORMS_KEY
                        + " but has no reference for it (it has "
                        + result.refs().keySet() + ")");
            }
            Optional<byte[]> config = result.metadata(ImageAssembler.CONFIG_KEY + "/" + id)
                    .or(() -> result.metadata(ImageAssembler.CONFIG_KEY));
            Optional<byte[]> baseConfig = result.metadata(ImageAssembler.BASE_CONFIG_KEY + "/" + id)
                    .or(() -> result.metadata(ImageAssembler.BASE_CONFIG_KEY));
            parts.add(new PlatformPart(id, entry.getValue(), result.refs().get(id), config, baseConfig));
        }
        if (parts.isEmpty()) {
            throw new GatewayException("the result has references "
                    + result.refs().keySet() + " but " + PLATFORMS_KEY + " lists no platform");
        }
        return Optional.of(new ResultPlatforms(parts));
    }

    /**
     * Solves every platform's reference at once, each on its own virtual thread: the exporters then read them one
     * after another without waiting for one platform's steps before the next one's start.
     */
    void evaluate() throws InterruptedException {
        try (ExecutorService solving = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Void>> solved = new ArrayList<>();
            for (PlatformPart part : platforms) {
                if (part.ref() != null) {
                    solved.add(solving.submit(() -> {
                        part.ref().evaluate();
                        return null;
                    }));
                }
            }
            for (Future<Void> each : solved) {
                try {
                    each.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    // one platform failed: the others' solves stop rather than run on for nothing
                    solving.shutdownNow();
                    if (e.getCause() instanceof RuntimeException runtime) {
                        throw runtime;
                    }
                    throw new GatewayException(e.getCause().getMessage(), e.getCause());
                } catch (InterruptedException e) {
                    solving.shutdownNow();
                    throw e;
                }
            }
        }
    }

    /**
     * Reads BuildKit's JSON of {@code exptypes.Platforms}. Go writes its field names capitalised
     * ({@code Platforms}, {@code ID}, {@code Platform}) and reads them in any case, so a frontend may send either.
     */
    private static Map<String, Platform> parse(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new GatewayException("the result's " + PLATFORMS_KEY + " metadata is not JSON: " + e.getMessage(), e);
        }
        Map<String, Platform> platforms = new java.util.LinkedHashMap<>();
        for (JsonNode entry : field(root, "platforms")) {
            String id = field(entry, "id").asText("");
            JsonNode platform = field(entry, "platform");
            String os = field(platform, "os").asText("");
            String architecture = field(platform, "architecture").asText("");
            if (id.isEmpty() || os.isEmpty() || architecture.isEmpty()) {
                throw new GatewayException("the result's " + PLATFORMS_KEY + " metadata has an entry without id, os"
                        + " or architecture: " + entry);
            }
            platforms.put(
                    id,
                    new Platform(
                            os,
                            architecture,
                            field(platform, "variant").asText(""),
                            field(platform, "os.version").asText(""),
                            List.of()));
        }
        return platforms;
    }

    /** The field of {@code node} named {@code name} in any case, as Go's JSON decoder matches names. */
    private static JsonNode field(JsonNode node, String name) {
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (field.getKey().equalsIgnoreCase(name)) {
                return field.getValue();
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
}
