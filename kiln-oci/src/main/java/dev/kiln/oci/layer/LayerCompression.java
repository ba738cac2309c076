package dev.kiln.oci.layer;

import dev.kiln.oci.MediaTypes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;

/** How a layer blob is compressed, with the media types that say so in OCI and Docker manifests. */
public enum LayerCompression {
    NONE("", MediaTypes.DOCKER_LAYER),
    GZIP("+gzip", MediaTypes.DOCKER_LAYER_GZIP),
    /** Docker's schema has no zstd layer type; Docker and BuildKit use OCI's in Docker manifests too. */
    ZSTD("+zstd", MediaTypes.OCI_LAYER_ZSTD);

    private static final String OCI_NONDISTRIBUTABLE = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    private static final String DOCKER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar";

    /** What follows {@link MediaTypes#OCI_LAYER} in this compression's OCI media type. */
    private final String ociSuffix;

    private final String dockerMediaType;

    LayerCompression(String ociSuffix, String dockerMediaType) {
        this.ociSuffix = ociSuffix;
        this.dockerMediaType = dockerMediaType;
    }

    public String ociMediaType() {
        return MediaTypes.OCI_LAYER + ociSuffix;
    }

    public String dockerMediaType() {
        return dockerMediaType;
    }

    /**
     * The compression a layer media type names, OCI (including non-distributable layers) or Docker.
     *
     * @throws IllegalArgumentException when {@code mediaType} is not a layer, or is an encrypted one
     */
    public static LayerCompression ofMediaType(String mediaType) {
        if (mediaType == null || mediaType.isBlank()) {
            throw new IllegalArgumentException("a layer media type is required");
        }
        if (mediaType.endsWith("+encrypted")) {
            throw new IllegalArgumentException("encrypted layers are not supported (media type " + mediaType + ")");
        }
        for (String base : new String[] {MediaTypes.OCI_LAYER, OCI_NONDISTRIBUTABLE}) {
            if (mediaType.startsWith(base)) {
                String suffix = mediaType.substring(base.length());
                return Arrays.stream(values())
                        .filter(c -> c.ociSuffix.equals(suffix))
                        .findFirst()
                        .orElseThrow(() -> notALayer(mediaType));
            }
        }
        for (String base : new String[] {MediaTypes.DOCKER_LAYER, DOCKER_FOREIGN}) {
            if (mediaType.equals(base)) {
                return NONE;
            }
            if (mediaType.equals(base + ".gzip")) {
                return GZIP;
            }
            if (mediaType.equals(base + ".zstd")) {
                return ZSTD;
            }
        }
        throw notALayer(mediaType);
    }

    /**
     * The compression the first bytes of a blob show: gzip's and zstd's magic numbers (a zstd frame or a skippable
     * one); anything else is taken for a plain tar, whose own magic sits at offset 257.
     */
    public static LayerCompression detect(byte[] head, int length) {
        if (startsWith(head, length, 0x1f, 0x8b)) {
            return GZIP;
        }
        if (startsWith(head, length, 0x28, 0xb5, 0x2f, 0xfd)) {
            return ZSTD;
        }
        // A zstd skippable frame (magic 0x184D2A50-5F, little-endian), which zstd:chunked layers may start with.
        if (length >= 4
                && (ByteBuffer.wrap(head, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xfffffff0) == 0x184d2a50) {
            return ZSTD;
        }
        return NONE;
    }

    /** The name of a compression Kiln recognises but cannot read, so the error can say what the blob is. */
    static Optional<String> unsupported(byte[] head, int length) {
        if (startsWith(head, length, 'B', 'Z', 'h')) {
            return Optional.of("bzip2");
        }
        if (startsWith(head, length, 0xfd, '7', 'z', 'X', 'Z', 0)) {
            return Optional.of("xz");
        }
        return Optional.empty();
    }

    /** Whether the first {@code length} bytes of {@code head} begin with these (unsigned) bytes. */
    private static boolean startsWith(byte[] head, int length, int... magic) {
        if (length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((head[i] & 0xff) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static IllegalArgumentException notALayer(String mediaType) {
        return new IllegalArgumentException("\"" + mediaType + "\" is not a layer media type (expected "
                + MediaTypes.OCI_LAYER + "[+gzip|+zstd] or " + MediaTypes.DOCKER_LAYER + "[.gzip])");
    }
}
