package dev.kiln.dockerfile.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.dockerfile.instructions.Instruction.HealthSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An image config (OCI image config with Docker's extensions: Healthcheck, OnBuild, Shell) as a stage builds
 * it up instruction by instruction. Mutable, because a stage edits it in place; {@link #copy} gives a
 * derived stage its own. Written as JSON in the field order Go's encoder uses, so a config Kiln writes reads
 * like the one BuildKit writes for the same Dockerfile.
 */
public final class ImageConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One history entry; {@code emptyLayer} for instructions that change only the config. */
    public record History(String created, String createdBy, String author, String comment, boolean emptyLayer) {
    }

    String created;
    String author = "";
    String architecture = "";
    String os = "";
    String osVersion = "";
    List<String> osFeatures;
    String variant = "";
    String user = "";
    Map<String, Boolean> exposedPorts;
    List<String> env = new ArrayList<>();
    List<String> entrypoint;
    List<String> cmd;
    Map<String, Boolean> volumes;
    String workingDir = "";
    Map<String, String> labels;
    String stopSignal = "";
    boolean argsEscaped;
    HealthSpec healthcheck;
    List<String> onBuild;
    List<String> shell;
    String rootfsType = "layers";
    List<String> diffIds;
    List<History> history = new ArrayList<>();

    /** The config of {@code scratch}: a platform, working directory "/", and the default PATH. */
    static ImageConfig empty(dev.kiln.llb.Platform platform) {
        ImageConfig image = new ImageConfig();
        image.architecture = platform.architecture();
        image.os = platform.os();
        image.osVersion = platform.osVersion();
        image.osFeatures = platform.osFeatures().isEmpty() ? null : new ArrayList<>(platform.osFeatures());
        image.variant = platform.variant();
        image.workingDir = "/";
        if (!platform.os().equals("windows")) {
            image.env.add("PATH=" + Platforms.defaultPath(platform.os()));
        }
        return image;
    }

    public ImageConfig copy() {
        ImageConfig c = new ImageConfig();
        c.created = created;
        c.author = author;
        c.architecture = architecture;
        c.os = os;
        c.osVersion = osVersion;
        c.osFeatures = osFeatures == null ? null : new ArrayList<>(osFeatures);
        c.variant = variant;
        c.user = user;
        c.exposedPorts = exposedPorts == null ? null : new TreeMap<>(exposedPorts);
        c.env = new ArrayList<>(env);
        c.entrypoint = entrypoint == null ? null : new ArrayList<>(entrypoint);
        c.cmd = cmd == null ? null : new ArrayList<>(cmd);
        c.volumes = volumes == null ? null : new TreeMap<>(volumes);
        c.workingDir = workingDir;
        c.labels = labels == null ? null : new TreeMap<>(labels);
        c.stopSignal = stopSignal;
        c.argsEscaped = argsEscaped;
        c.healthcheck = healthcheck;
        c.onBuild = onBuild == null ? null : new ArrayList<>(onBuild);
        c.shell = shell == null ? null : new ArrayList<>(shell);
        c.rootfsType = rootfsType;
        c.diffIds = diffIds == null ? null : new ArrayList<>(diffIds);
        c.history = new ArrayList<>(history);
        return c;
    }

    /** Sets {@code key} in the environment, in place if it is there already. */
    void addEnv(String key, String value) {
        for (int i = 0; i < env.size(); i++) {
            if (envKey(env.get(i)).equals(key)) {
                env.set(i, key + "=" + value);
                return;
            }
        }
        env.add(key + "=" + value);
    }

    static String envKey(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? entry : entry.substring(0, eq);
    }

    static String envValue(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? "" : entry.substring(eq + 1);
    }

    void commit(String createdBy, boolean withLayer) {
        history.add(new History(null, createdBy, "", "buildkit.dockerfile.v0", !withLayer));
    }

    // Accessors for the frontend and tests: the config as the exporter will see it.

    public List<String> env() {
        return List.copyOf(env);
    }

    public String user() {
        return user;
    }

    public String workingDir() {
        return workingDir;
    }

    public List<String> cmd() {
        return cmd == null ? null : List.copyOf(cmd);
    }

    public List<String> entrypoint() {
        return entrypoint == null ? null : List.copyOf(entrypoint);
    }

    public List<String> onBuild() {
        return onBuild == null ? List.of() : List.copyOf(onBuild);
    }

    public List<History> history() {
        return List.copyOf(history);
    }

    public String os() {
        return os;
    }

    public String architecture() {
        return architecture;
    }

    public String variant() {
        return variant;
    }

    /** An image has layers unless its config lists none and every history entry is an empty layer. */
    boolean hasNoLayers() {
        if (diffIds != null && !diffIds.isEmpty()) {
            return false;
        }
        return history.stream().allMatch(History::emptyLayer);
    }

    /**
     * Reads an image config. Fields Kiln does not model (container, docker_version, ...) are dropped, as
     * BuildKit's frontend drops them; the creation time is dropped too, since the new image gets its own.
     */
    public static ImageConfig parse(byte[] json) throws IOException {
        JsonNode root = JSON.readTree(json);
        if (root == null || !root.isObject()) {
            throw new IOException("image config is not a JSON object");
        }
        ImageConfig image = new ImageConfig();
        image.author = text(root, "author");
        image.architecture = text(root, "architecture");
        image.os = text(root, "os");
        image.osVersion = text(root, "os.version");
        image.osFeatures = strings(root.get("os.features"));
        image.variant = text(root, "variant");
        JsonNode config = root.path("config");
        image.user = text(config, "User");
        image.exposedPorts = keySet(config.get("ExposedPorts"));
        List<String> env = strings(config.get("Env"));
        image.env = env == null ? new ArrayList<>() : env;
        image.entrypoint = strings(config.get("Entrypoint"));
        image.cmd = strings(config.get("Cmd"));
        image.volumes = keySet(config.get("Volumes"));
        image.workingDir = text(config, "WorkingDir");
        JsonNode labels = config.get("Labels");
        if (labels != null && labels.isObject()) {
            image.labels = new TreeMap<>();
            labels.properties().forEach(e -> image.labels.put(e.getKey(), e.getValue().asText()));
        }
        image.stopSignal = text(config, "StopSignal");
        image.argsEscaped = config.path("ArgsEscaped").asBoolean(false);
        JsonNode health = config.get("Healthcheck");
        if (health != null && health.isObject()) {
            List<String> test = strings(health.get("Test"));
            image.healthcheck = new HealthSpec(test == null ? List.of() : test, health.path("Interval").asLong(),
                    health.path("Timeout").asLong(), health.path("StartPeriod").asLong(),
                    health.path("StartInterval").asLong(), health.path("Retries").asInt());
        }
        image.onBuild = strings(config.get("OnBuild"));
        image.shell = strings(config.get("Shell"));
        JsonNode rootfs = root.path("rootfs");
        image.rootfsType = rootfs.has("type") ? rootfs.get("type").asText() : "layers";
        image.diffIds = strings(rootfs.get("diff_ids"));
        JsonNode history = root.get("history");
        if (history != null && history.isArray()) {
            for (JsonNode h : history) {
                image.history.add(new History(h.hasNonNull("created") ? h.get("created").asText() : null,
                        text(h, "created_by"), text(h, "author"), text(h, "comment"),
                        h.path("empty_layer").asBoolean(false)));
            }
        }
        return image;
    }

    /** The config as JSON, omitting empty fields as Go's encoder does with omitempty. */
    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        putText(root, "created", created);
        putText(root, "author", author);
        root.put("architecture", architecture);
        root.put("os", os);
        putText(root, "os.version", osVersion);
        putStrings(root, "os.features", osFeatures);
        putText(root, "variant", variant);
        ObjectNode rootfs = root.putObject("rootfs");
        rootfs.put("type", rootfsType);
        if (diffIds == null) {
            rootfs.putNull("diff_ids");
        } else {
            putStringsAlways(rootfs, "diff_ids", diffIds);
        }
        if (!history.isEmpty()) {
            ArrayNode entries = root.putArray("history");
            for (History h : history) {
                ObjectNode entry = entries.addObject();
                putText(entry, "created", h.created());
                putText(entry, "created_by", h.createdBy());
                putText(entry, "author", h.author());
                putText(entry, "comment", h.comment());
                if (h.emptyLayer()) {
                    entry.put("empty_layer", true);
                }
            }
        }
        ObjectNode config = root.putObject("config");
        putText(config, "User", user);
        putKeySet(config, "ExposedPorts", exposedPorts);
        putStrings(config, "Env", env);
        putStrings(config, "Entrypoint", entrypoint);
        putStrings(config, "Cmd", cmd);
        putKeySet(config, "Volumes", volumes);
        putText(config, "WorkingDir", workingDir);
        if (labels != null && !labels.isEmpty()) {
            ObjectNode l = config.putObject("Labels");
            new TreeMap<>(labels).forEach(l::put);
        }
        putText(config, "StopSignal", stopSignal);
        if (argsEscaped) {
            config.put("ArgsEscaped", true);
        }
        if (healthcheck != null) {
            ObjectNode h = config.putObject("Healthcheck");
            putStrings(h, "Test", healthcheck.test());
            putLong(h, "Interval", healthcheck.interval());
            putLong(h, "Timeout", healthcheck.timeout());
            putLong(h, "StartPeriod", healthcheck.startPeriod());
            putLong(h, "StartInterval", healthcheck.startInterval());
            putLong(h, "Retries", healthcheck.retries());
        }
        putStrings(config, "OnBuild", onBuild);
        putStrings(config, "Shell", shell);
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("an in-memory JSON tree always serialises", e);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value == null || value.isNull() ? "" : value.asText();
    }

    private static List<String> strings(JsonNode node) {
        if (node == null || !node.isArray()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        node.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static Map<String, Boolean> keySet(JsonNode node) {
        if (node == null || !node.isObject()) {
            return null;
        }
        Map<String, Boolean> out = new TreeMap<>();
        node.fieldNames().forEachRemaining(k -> out.put(k, Boolean.TRUE));
        return out;
    }

    private static void putText(ObjectNode node, String field, String value) {
        if (value != null && !value.isEmpty()) {
            node.put(field, value);
        }
    }

    private static void putLong(ObjectNode node, String field, long value) {
        if (value != 0) {
            node.put(field, value);
        }
    }

    private static void putStrings(ObjectNode node, String field, List<String> values) {
        if (values != null && !values.isEmpty()) {
            putStringsAlways(node, field, values);
        }
    }

    private static void putStringsAlways(ObjectNode node, String field, List<String> values) {
        ArrayNode array = node.putArray(field);
        values.forEach(array::add);
    }

    private static void putKeySet(ObjectNode node, String field, Map<String, Boolean> keys) {
        if (keys != null && !keys.isEmpty()) {
            ObjectNode object = node.putObject(field);
            new TreeMap<>(keys).keySet().forEach(k -> object.putObject(k));
        }
    }
}
