package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * An image config (OCI image-spec config, which Docker's v1 image JSON matches): platform, how containers run,
 * the layers' diff IDs and the history. Fields Kiln does not model are kept at every level, so a config read,
 * changed and written again loses nothing; {@link #toJson()} writes the same bytes for the same value. A frontend
 * builds its image's config on this model too: it reads base images with {@link #parseDockerOciImage} and writes
 * {@code containerimage.config} with {@link #toDockerOciImageJson()}, as BuildKit's Dockerfile frontend does.
 *
 * @param created when the image was made, or null
 * @param author the author, or ""
 * @param architecture the CPU architecture (Go's GOARCH)
 * @param os the operating system (Go's GOOS)
 * @param osVersion the OS version (Windows), or ""
 * @param osFeatures required OS features, usually empty
 * @param variant the CPU variant, e.g. "v7" for arm, or ""
 * @param config how containers run
 * @param rootfs the layers' diff IDs
 * @param history the steps that made the image
 * @param unknownFields fields Kiln does not model (e.g. Docker's container_config), kept when written again
 *     (read-only)
 */
public record ImageConfig(
        Instant created,
        String author,
        String architecture,
        String os,
        String osVersion,
        List<String> osFeatures,
        String variant,
        ContainerConfig config,
        RootFs rootfs,
        List<History> history,
        Map<String, JsonNode> unknownFields) {

    private static final String KIND = "image config";
    private static final Set<String> FIELDS = Set.of(
            "created",
            "author",
            "architecture",
            "os",
            "os.version",
            "os.features",
            "variant",
            "config",
            "rootfs",
            "history");

    public ImageConfig {
        author = author == null ? "" : author;
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(os, "os");
        osVersion = osVersion == null ? "" : osVersion;
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
        variant = variant == null ? "" : variant;
        config = config == null ? ContainerConfig.EMPTY : config;
        rootfs = rootfs == null ? RootFs.layers(List.of()) : rootfs;
        history = history == null ? List.of() : List.copyOf(history);
        unknownFields = UnknownFields.copy(unknownFields);
    }

    /** A config for an image with no layers yet, for {@code platform}. */
    public static ImageConfig empty(Platform platform) {
        return new ImageConfig(
                null,
                "",
                platform.architecture(),
                platform.os(),
                platform.osVersion(),
                platform.osFeatures(),
                platform.variant(),
                ContainerConfig.EMPTY,
                RootFs.layers(List.of()),
                List.of(),
                Map.of());
    }

    public static ImageConfig parse(byte[] json) {
        return parse(json, KIND);
    }

    /**
     * @param document what is being read, for error messages, e.g. "config sha256:... of 127.0.0.1:5000/app:1"
     * @throws OciFormatException naming the document and the field
     */
    public static ImageConfig parse(byte[] json, String document) {
        return read(JsonFields.parse(json, document), true);
    }

    /**
     * Reads a config as BuildKit's frontends decode one into Go's typed structs ({@code dockerspec.DockerOCIImage}):
     * fields the model does not have are dropped at every level, and a config without architecture or os is read
     * with them empty (a frontend then keeps the platform it asked for) rather than refused.
     *
     * @param document what is being read, for error messages
     * @throws OciFormatException naming the document and the field
     */
    public static ImageConfig parseDockerOciImage(byte[] json, String document) {
        return read(JsonFields.parse(json, document), false).withoutUnknownFields();
    }

    private static ImageConfig read(JsonFields fields, boolean platformRequired) {
        JsonFields config = fields.object("config");
        JsonFields rootfs = fields.object("rootfs");
        return new ImageConfig(
                fields.time("created"),
                fields.string("author"),
                platformRequired ? fields.requiredString("architecture") : fields.string("architecture"),
                platformRequired ? fields.requiredString("os") : fields.string("os"),
                fields.string("os.version"),
                fields.strings("os.features"),
                fields.string("variant"),
                config == null ? ContainerConfig.EMPTY : ContainerConfig.read(config),
                rootfs == null ? RootFs.unlisted() : RootFs.read(rootfs),
                fields.objects("history").stream().map(History::read).toList(),
                fields.unknown(FIELDS));
    }

    /** The platform this image runs on. */
    public Platform platform() {
        return new Platform(os, architecture, variant, osVersion, osFeatures);
    }

    public ImageConfig withCreated(Instant value) {
        return with(draft -> draft.created = value);
    }

    public ImageConfig withAuthor(String value) {
        return with(draft -> draft.author = value);
    }

    public ImageConfig withPlatform(Platform value) {
        return with(draft -> draft.platform = value);
    }

    public ImageConfig withConfig(ContainerConfig value) {
        return with(draft -> draft.config = value);
    }

    public ImageConfig withRootFs(RootFs value) {
        return with(draft -> draft.rootfs = value);
    }

    /** The config with one more field Kiln does not model (replacing one of that name), written as it is given. */
    public ImageConfig withUnknownField(String name, JsonNode value) {
        Map<String, JsonNode> fields = new java.util.LinkedHashMap<>(unknownFields);
        fields.put(name, value);
        return with(draft -> draft.unknownFields = fields);
    }

    public ImageConfig withHistory(List<History> value) {
        return with(draft -> draft.history = value);
    }

    /** This config with one more layer and the history step that made it. */
    public ImageConfig withLayer(Digest diffId, History step) {
        List<History> steps = new ArrayList<>(history);
        steps.add(step);
        return withRootFs(rootfs.withLayer(diffId)).withHistory(steps);
    }

    /** This config with one more history step, the layer it made (if any) not listed: a frontend's record. */
    public ImageConfig withStep(History step) {
        List<History> steps = new ArrayList<>(history);
        steps.add(step);
        return withHistory(steps);
    }

    /** This config as Go's typed structs hold it: without the fields Kiln does not model, at every level. */
    public ImageConfig withoutUnknownFields() {
        return with(draft -> {
            draft.config = config.withoutUnknownFields();
            draft.rootfs = rootfs.withoutUnknownFields();
            draft.history = history.stream().map(History::withoutUnknownFields).toList();
            draft.unknownFields = Map.of();
        });
    }

    /**
     * This config with a change: the withers name only what they change, the whole list stands in Draft alone, and
     * the copy goes through the canonical constructor, so its checks and defaults apply to the copy too.
     */
    private ImageConfig with(Consumer<Draft> change) {
        Draft draft = new Draft();
        change.accept(draft);
        return draft.imageConfig();
    }

    /** The canonical JSON: compact, fields in the OCI Go struct's order, unknown fields after them, sorted. */
    public byte[] toJson() {
        return CanonicalJson.write(this::write);
    }

    /**
     * The JSON BuildKit's frontends write as {@code containerimage.config}: Go's encoding of
     * {@code dockerspec.DockerOCIImage}, which embeds the OCI image struct and shadows its config with Docker's, so
     * Go writes config last, after rootfs and history. Compact, with Go's escapes; fields Kiln does not model are
     * left out, as the Go struct has none.
     */
    public byte[] toDockerOciImageJson() {
        ImageConfig bare = withoutUnknownFields();
        return CanonicalJson.write(json -> {
            json.writeStartObject();
            bare.writeLeadingFields(json);
            bare.rootfs.write(json);
            bare.writeHistory(json);
            bare.config.write(json);
            json.writeEndObject();
        });
    }

    /** The descriptor of {@link #toJson()} under {@code mediaType} (OCI or Docker config). */
    public Descriptor descriptor(String mediaType) {
        return Descriptor.of(mediaType, toJson());
    }

    private void write(JsonGenerator json) throws IOException {
        json.writeStartObject();
        writeLeadingFields(json);
        config.write(json);
        rootfs.write(json);
        writeHistory(json);
        CanonicalJson.unknown(json, unknownFields);
        json.writeEndObject();
    }

    /** The fields both Go structs start with: created, author and the inlined platform. */
    private void writeLeadingFields(JsonGenerator json) throws IOException {
        CanonicalJson.time(json, "created", created);
        CanonicalJson.string(json, "author", author);
        json.writeStringField("architecture", architecture);
        json.writeStringField("os", os);
        CanonicalJson.string(json, "os.version", osVersion);
        CanonicalJson.strings(json, "os.features", osFeatures);
        CanonicalJson.string(json, "variant", variant);
    }

    private void writeHistory(JsonGenerator json) throws IOException {
        if (!history.isEmpty()) {
            json.writeArrayFieldStart("history");
            for (History step : history) {
                step.write(json);
            }
            json.writeEndArray();
        }
    }

    /**
     * A config's values while some of them change. The five platform components are one {@link Platform} here, as
     * {@link #withPlatform} sets them together; Platform's constructor keeps the components as they are.
     */
    private final class Draft {
        private Instant created = ImageConfig.this.created;
        private String author = ImageConfig.this.author;
        private Platform platform = ImageConfig.this.platform();
        private ContainerConfig config = ImageConfig.this.config;
        private RootFs rootfs = ImageConfig.this.rootfs;
        private List<History> history = ImageConfig.this.history;
        private Map<String, JsonNode> unknownFields = ImageConfig.this.unknownFields;

        ImageConfig imageConfig() {
            return new ImageConfig(
                    created,
                    author,
                    platform.architecture(),
                    platform.os(),
                    platform.osVersion(),
                    platform.osFeatures(),
                    platform.variant(),
                    config,
                    rootfs,
                    history,
                    unknownFields);
        }
    }
}
