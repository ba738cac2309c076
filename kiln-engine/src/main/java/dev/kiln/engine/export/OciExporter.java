package dev.kiln.engine.export;

import dev.kiln.gateway.Result;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * {@code type=oci}: the result as an OCI image layout in one tar ({@code oci-layout}, {@code index.json},
 * {@code blobs/}), each name a tag of the layout, to a file or a stream.
 */
record OciExporter(ExportTarget.OciArchive archive) implements Exporter {

    /** {@code dest=FILE} or {@code dest=-}, {@code name=} and the image attributes; OCI media types by default. */
    static ExportTarget resolve(ExportAttributes attributes) {
        attributes.checkImageAttributes(Set.of("name", "dest"));
        ArchiveDestination destination = attributes.archiveDestination();
        return new ExportTarget.OciArchive(
                destination, attributes.names(), attributes.imageOptions(ImageOptions.defaults()));
    }

    @Override
    public Map<String, String> export(Result result, Worker worker, BuildSession session, ProgressListener progress)
            throws IOException, InterruptedException {
        return ImageArchive.export(
                result,
                worker,
                progress,
                "oci",
                ImageArchive::writeOci,
                archive.destination(),
                archive.names(),
                archive.options());
    }

    @Override
    public String describe() {
        return archive.destination().describe() + " (oci)";
    }

    @Override
    public boolean streams() {
        return archive.destination() instanceof ArchiveDestination.ToStream;
    }
}
