package dev.kiln.engine.export;

import dev.kiln.oci.layer.LayerCompression;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;

/**
 * How an image is made from a build result, whatever it is then written to (a registry, an OCI or a Docker
 * archive). The attribute names are BuildKit's image exporter's.
 *
 * @param compression          how new layer blobs are compressed (gzip unless asked otherwise)
 * @param compressionLevel     the compressor's level, or empty for its default
 * @param forceCompression     also recompress layers already known as blobs of another compression (a pulled base)
 * @param ociMediaTypes        OCI media types for manifest, config and layers; false for Docker's (schema 2)
 * @param sourceDateEpoch      SOURCE_DATE_EPOCH: the image's created time and the time of the history entries this
 *                             build adds (the base image's keep theirs), as BuildKit uses it
 * @param rewriteTimestamp     {@code rewrite-timestamp}: also file times in the layers this build writes that are
 *                             later than SOURCE_DATE_EPOCH become it, so the same inputs give the same layer digests
 * @param insecureRegistry     talk plain HTTP to the registries the image is pushed to (loopback ones always are)
 * @param annotations          the {@code annotation*} attributes; any of them makes the media types OCI's
 */
public record ImageOptions(
        LayerCompression compression,
        OptionalInt compressionLevel,
        boolean forceCompression,
        boolean ociMediaTypes,
        Optional<Instant> sourceDateEpoch,
        boolean rewriteTimestamp,
        boolean insecureRegistry,
        ImageAnnotations annotations) {

    /** Reads one attribute's value into a draft; {@code key} names the attribute in an error. */
    @FunctionalInterface
    private interface AttributeReader {
        void read(Draft draft, String key, String value);
    }

    /** Each attribute {@link #parse} reads, with how: the one list of them, which {@link #ATTRIBUTES} names. */
    private static final Map<String, AttributeReader> READERS = Map.of(
            "compression", (draft, key, value) -> draft.compression = compression(key, value),
            "compression-level", (draft, key, value) -> draft.compressionLevel = OptionalInt.of(integer(key, value)),
            "force-compression", (draft, key, value) -> draft.forceCompression = bool(key, value),
            "oci-mediatypes", (draft, key, value) -> draft.ociMediaTypes = bool(key, value),
            "source-date-epoch", (draft, key, value) -> draft.sourceDateEpoch = Optional.of(epoch(key, value)),
            "registry.insecure", (draft, key, value) -> draft.insecureRegistry = bool(key, value),
            "insecure", (draft, key, value) -> draft.insecureRegistry = bool(key, value),
            "rewrite-timestamp", (draft, key, value) -> draft.rewriteTimestamp = bool(key, value),
            // BuildKit writes attestation manifests in artifact form then; Kiln writes them as it always does, and
            // like BuildKit turns on OCI media types, which an artifact needs.
            "oci-artifact", (draft, key, value) -> draft.ociArtifact = bool(key, value));

    /** The attributes {@link #parse} reads; an exporter's own (name, push, dest) come on top. */
    public static final Set<String> ATTRIBUTES = READERS.keySet();

    public ImageOptions {
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(compressionLevel, "compressionLevel");
        Objects.requireNonNull(sourceDateEpoch, "sourceDateEpoch");
        compressionLevel.ifPresent(level -> checkLevel(compression, level));
        Objects.requireNonNull(annotations, "annotations");
        if (!ociMediaTypes && !annotations.isEmpty()) {
            throw new IllegalArgumentException("annotations need OCI media types; Docker's manifest has no "
                    + "annotations (drop oci-mediatypes=false or the annotation* attributes)");
        }
    }

    /** gzip, OCI media types, no fixed time. */
    public static ImageOptions defaults() {
        return new ImageOptions(
                LayerCompression.GZIP,
                OptionalInt.empty(),
                false,
                true,
                Optional.empty(),
                false,
                false,
                ImageAnnotations.NONE);
    }

    /** What {@code type=docker} makes unless told otherwise: Docker's media types, which every docker load reads. */
    public static ImageOptions dockerDefaults() {
        return defaults().withOciMediaTypes(false);
    }

    /** Whether {@code key} is one of this record's attributes (including annotation keys). */
    public static boolean isAttribute(String key) {
        return ATTRIBUTES.contains(key) || ImageAnnotations.isAttribute(key);
    }

    /** The annotations of each manifest for every platform ({@code annotation.KEY}, {@code annotation-manifest.KEY}). */
    public Map<String, String> manifestAnnotations() {
        return annotations.of(ImageAnnotations.Kind.MANIFEST);
    }

    /**
     * Reads the image attributes of an {@code --output} value over {@code defaults}; keys that are not image
     * attributes are left to the caller.
     *
     * @param epochFallback the SOURCE_DATE_EPOCH to use when the attributes give none (from a build argument or the
     *                      environment), or empty
     * @throws IllegalArgumentException naming the attribute and what is wrong with its value
     */
    public static ImageOptions parse(Map<String, String> attrs, ImageOptions defaults, Optional<String> epochFallback) {
        Draft draft = defaults.new Draft();
        if (epochFallback.isPresent() && !epochFallback.get().isBlank()) {
            draft.sourceDateEpoch = Optional.of(epoch("SOURCE_DATE_EPOCH", epochFallback.get()));
        }
        for (Map.Entry<String, String> attr : attrs.entrySet()) {
            String key = attr.getKey();
            String value = attr.getValue();
            AttributeReader reader = READERS.get(key);
            if (reader != null) {
                reader.read(draft, key, value);
                continue;
            }
            if (ImageAnnotations.isAttribute(key)) {
                draft.annotations = draft.annotations.with(key, value);
            }
        }
        return draft.options();
    }

    public ImageOptions withCompression(LayerCompression value) {
        return with(draft -> {
            draft.compression = value;
            draft.compressionLevel = OptionalInt.empty();
        });
    }

    public ImageOptions withCompressionLevel(int value) {
        return with(draft -> draft.compressionLevel = OptionalInt.of(value));
    }

    public ImageOptions withForceCompression(boolean value) {
        return with(draft -> draft.forceCompression = value);
    }

    public ImageOptions withOciMediaTypes(boolean value) {
        return with(draft -> draft.ociMediaTypes = value);
    }

    public ImageOptions withSourceDateEpoch(Instant value) {
        return with(draft -> draft.sourceDateEpoch = Optional.of(value));
    }

    public ImageOptions withRewriteTimestamp(boolean value) {
        return with(draft -> draft.rewriteTimestamp = value);
    }

    public ImageOptions withInsecureRegistry(boolean value) {
        return with(draft -> draft.insecureRegistry = value);
    }

    public ImageOptions withManifestAnnotations(Map<String, String> value) {
        return with(draft -> draft.annotations = draft.annotations.replacing(ImageAnnotations.Kind.MANIFEST, value));
    }

    /** These options with a change: the withers and {@link #parse} name only what they change. */
    private ImageOptions with(Consumer<Draft> change) {
        Draft draft = new Draft();
        change.accept(draft);
        return draft.options();
    }

    /** These options' values while some of them change; the whole list of them stands here alone. */
    private final class Draft {
        private LayerCompression compression = ImageOptions.this.compression;
        private OptionalInt compressionLevel = ImageOptions.this.compressionLevel;
        private boolean forceCompression = ImageOptions.this.forceCompression;
        private boolean ociMediaTypes = ImageOptions.this.ociMediaTypes;
        private Optional<Instant> sourceDateEpoch = ImageOptions.this.sourceDateEpoch;
        private boolean rewriteTimestamp = ImageOptions.this.rewriteTimestamp;
        private boolean insecureRegistry = ImageOptions.this.insecureRegistry;
        private ImageAnnotations annotations = ImageOptions.this.annotations;
        private boolean ociArtifact;

        /**
         * The options; as in BuildKit, zstd layers, annotations and artifacts turn OCI media types on whatever
         * {@code oci-mediatypes} says, as Docker's media types have no place for them.
         */
        ImageOptions options() {
            boolean oci =
                    ociMediaTypes || ociArtifact || compression == LayerCompression.ZSTD || !annotations.isEmpty();
            return new ImageOptions(
                    compression,
                    compressionLevel,
                    forceCompression,
                    oci,
                    sourceDateEpoch,
                    rewriteTimestamp,
                    insecureRegistry,
                    annotations);
        }
    }

    /**
     * The name of the blob form these options ask for, under which an exported layer is remembered: the same layer
     * exported again in the same form reuses its blob.
     */
    String layerVariant() {
        StringBuilder variant = new StringBuilder(compression.name().toLowerCase(java.util.Locale.ROOT));
        compressionLevel.ifPresent(level -> variant.append('-').append(level));
        if (rewriteTimestamp) {
            sourceDateEpoch.ifPresent(epoch -> variant.append('.').append(epoch.getEpochSecond()));
        }
        return variant.toString();
    }

    private static LayerCompression compression(String key, String value) {
        return switch (value) {
            case "gzip" -> LayerCompression.GZIP;
            case "zstd" -> LayerCompression.ZSTD;
            case "uncompressed" -> LayerCompression.NONE;
            case "estargz" ->
                throw new IllegalArgumentException(
                        key + "=estargz: Kiln does not make estargz layers " + "(use gzip, zstd or uncompressed)");
            default -> throw new IllegalArgumentException(key + "=" + value + ": expected gzip, zstd or uncompressed");
        };
    }

    private static void checkLevel(LayerCompression compression, int level) {
        switch (compression) {
            case GZIP -> {
                if (level < 0 || level > 9) {
                    throw new IllegalArgumentException("compression-level=" + level + ": gzip levels are 0 to 9");
                }
            }
            case ZSTD -> {
                if (level < 1 || level > 22) {
                    throw new IllegalArgumentException("compression-level=" + level + ": zstd levels are 1 to 22");
                }
            }
            case NONE ->
                throw new IllegalArgumentException(
                        "compression-level=" + level + ": uncompressed layers have no level");
        }
    }

    private static boolean bool(String key, String value) {
        return ExportAttributes.flag(key, value);
    }

    private static int integer(String key, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + value + ": expected a whole number");
        }
    }

    private static Instant epoch(String key, String value) {
        long seconds;
        try {
            seconds = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + value + ": expected seconds since 1970-01-01 UTC");
        }
        if (seconds < 0) {
            throw new IllegalArgumentException(key + "=" + value + ": must not be before 1970");
        }
        return Instant.ofEpochSecond(seconds);
    }
}
