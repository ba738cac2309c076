package dev.kiln.engine.export;

/**
 * {@code type=docker}: the result as a tar that {@code docker load} and skopeo's {@code docker-archive:} read
 * ({@code manifest.json} with the names as RepoTags), which is an OCI image layout too, to a file or a stream.
 */
record DockerExporter(ExportTarget.DockerArchive archive) implements ImageArchiveExporter {

    @Override
    public ImageArchiveFormat format() {
        return ImageArchiveFormat.DOCKER;
    }
}
