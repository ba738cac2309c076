package dev.kiln.engine.export;

import dev.kiln.gateway.Result;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * {@code type=docker}: the result as a tar that {@code docker load} and skopeo's {@code docker-archive:} read
 * ({@code manifest.json} with the names as RepoTags), which is an OCI image layout too, to a file or a stream.
 */
record DockerExporter(ExportTarget.DockerArchive archive) implements Exporter {

    /** As {@code type=oci}, but Docker's media types by default, which every docker load reads. */
    static ExportTarget resolve(ExportAttributes attributes) {
        attributes.checkImageAttributes(Set.of("name", "dest"));
        ArchiveDestination destination = attributes.archiveDestination();
        return new ExportTarget.DockerArchive(
                destination, attributes.names(), attributes.imageOptions(ImageOptions.dockerDefaults()));
    }

    @Override
    public Map<String, String> export(Result result, Worker worker, BuildSession session, ProgressListener progress)
            throws IOException, InterruptedException {
        return ImageArchive.export(
                result,
                worker,
                progress,
                "docker",
                ImageArchive::writeDocker,
                archive.destination(),
                archive.names(),
                archive.options());
    }

    @Override
    public String describe() {
        return archive.destination().describe() + " (docker)";
    }

    @Override
    public boolean streams() {
        return archive.destination() instanceof ArchiveDestination.ToStream;
    }
}
