package dev.kiln.engine.export;

import java.util.Set;

/**
 * {@code type=docker}: the result as a tar that {@code docker load} and skopeo's {@code docker-archive:} read
 * ({@code manifest.json} with the names as RepoTags), which is an OCI image layout too, to a file or a stream.
 */
record DockerExporter(ExportTarget.DockerArchive archive) implements ImageArchiveExporter {

    /** As {@code type=oci}, but Docker's media types by default, which every docker load reads. */
    static ExportTarget resolve(ExportAttributes attributes) {
        attributes.checkImageAttributes(Set.of("name", "dest"));
        ArchiveDestination destination = attributes.archiveDestination();
        return new ExportTarget.DockerArchive(
                destination, attributes.names(), attributes.imageOptions(ImageOptions.dockerDefaults()));
    }

    @Override
    public String formatName() {
        return "docker";
    }

    @Override
    public ImageArchive.Format format() {
        return ImageArchive::writeDocker;
    }
}
