package dev.kiln.engine.export;

import dev.kiln.gateway.Result;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import java.io.IOException;
import java.util.Map;

/**
 * What {@code type=oci} and {@code type=docker} share: both write the assembled image as one {@link ImageArchive}
 * to a file or a stream, and differ only in the archive's format, which each names.
 */
sealed interface ImageArchiveExporter extends Exporter permits OciExporter, DockerExporter {

    ExportTarget.ImageArchiveTarget archive();

    ImageArchiveFormat format();

    @Override
    default Map<String, String> export(Result result, Worker worker, BuildSession session, ProgressListener progress)
            throws IOException, InterruptedException {
        return ImageArchive.export(result, worker, progress, format(), archive());
    }

    @Override
    default String describe() {
        return archive().destination().describe() + " (" + format().typeName() + ")";
    }

    @Override
    default boolean streams() {
        return archive().destination() instanceof ArchiveDestination.ToStream;
    }
}
