package dev.kiln.oci;

import java.util.Set;

/** The media types of OCI and Docker image documents and layers. */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYOUT_HEADER = "application/vnd.oci.layout.header.v1+json";
    public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";

    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public static final String DOCKER_LAYER_ZSTD = "application/vnd.docker.image.rootfs.diff.tar.zstd";
    public static final String DOCKER_FOREIGN_LAYER_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    /** Schema 1 manifests are recognised only to refuse them with a clear message. */
    public static final String DOCKER_MANIFEST_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    public static final String DOCKER_MANIFEST_V1 = "application/vnd.docker.distribution.manifest.v1+json";

    private static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
    private static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
    private static final Set<String> CONFIGS = Set.of(OCI_CONFIG, DOCKER_CONFIG);
    private static final Set<String> LAYERS = Set.of(
            OCI_LAYER,
            OCI_LAYER_GZIP,
            OCI_LAYER_ZSTD,
            DOCKER_LAYER,
            DOCKER_LAYER_GZIP,
            DOCKER_LAYER_ZSTD,
            DOCKER_FOREIGN_LAYER_GZIP);

    /** What a registry is asked for when resolving a reference: any manifest or index, OCI first. */
    public static final String MANIFEST_ACCEPT =
            String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST);

    private MediaTypes() {}

    /** An OCI index or a Docker manifest list. */
    public static boolean isIndex(String mediaType) {
        return INDEXES.contains(base(mediaType));
    }

    /** An OCI image manifest or a Docker v2 schema 2 manifest. */
    public static boolean isManifest(String mediaType) {
        return MANIFESTS.contains(base(mediaType));
    }

    public static boolean isConfig(String mediaType) {
        return CONFIGS.contains(base(mediaType));
    }

    /** A layer tar, compressed or not, in OCI or Docker naming. */
    public static boolean isLayer(String mediaType) {
        return LAYERS.contains(base(mediaType));
    }

    /** Docker's media types (schema 2), as opposed to OCI's. */
    public static boolean isDocker(String mediaType) {
        return base(mediaType).startsWith("application/vnd.docker.");
    }

    /** The media type without parameters such as "; charset=utf-8", as registries sometimes send it. */
    public static String base(String mediaType) {
        if (mediaType == null) {
            return "";
        }
        int semicolon = mediaType.indexOf(';');
        return (semicolon < 0 ? mediaType : mediaType.substring(0, semicolon)).trim();
    }
}
