package dev.kiln.engine.export;

import java.util.List;
import java.util.Set;

/**
 * The image archive formats, {@code type=oci} and {@code type=docker}, as one table of what sets them apart: the
 * type's name, the image defaults, the writer and the typed request. Their resolving and exporting is one code path
 * ({@link #resolve}, {@link ImageArchiveExporter}); a format only names its row.
 */
enum ImageArchiveFormat {
    OCI("oci", ImageOptions.defaults(), ImageArchive::writeOci, ExportTarget.OciArchive::new),
    /** As {@code type=oci}, but Docker's media types by default, which every docker load reads. */
    DOCKER("docker", ImageOptions.dockerDefaults(), ImageArchive::writeDocker, ExportTarget.DockerArchive::new);

    /** Makes the format's typed request. */
    @FunctionalInterface
    private interface Request {
        ExportTarget make(ArchiveDestination destination, List<String> names, ImageOptions options);
    }

    private final String typeName;
    private final ImageOptions defaults;
    private final ImageArchive.Format writer;
    private final Request request;

    ImageArchiveFormat(String typeName, ImageOptions defaults, ImageArchive.Format writer, Request request) {
        this.typeName = typeName;
        this.defaults = defaults;
        this.writer = writer;
        this.request = request;
    }

    /** The format's name, as the output's type and its progress step say it ({@code oci}, {@code docker}). */
    String typeName() {
        return typeName;
    }

    ImageArchive.Format writer() {
        return writer;
    }

    /**
     * {@code dest=FILE} or {@code dest=-}, {@code name=} and the image attributes over this format's defaults;
     * {@code tar=false} makes {@code dest} the directory of an OCI layout instead, as in BuildKit.
     */
    ExportTarget resolve(ExportAttributes attributes) {
        attributes.checkImageAttributes(Set.of("name", "dest", "tar"));
        ArchiveDestination destination = attributes.archiveDestination();
        if (attributes.attrs().containsKey("tar") && !attributes.bool("tar")) {
            destination = switch (destination) {
                case ArchiveDestination.ToFile(java.nio.file.Path dir) -> new ArchiveDestination.ToDirectory(dir);
                default ->
                    throw new IllegalArgumentException("tar=false writes a directory: give it as dest=DIR, not stdout");
            };
        }
        return request.make(destination, attributes.names(), attributes.imageOptions(defaults));
    }
}
