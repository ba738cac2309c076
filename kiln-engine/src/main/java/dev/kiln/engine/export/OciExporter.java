package dev.kiln.engine.export;

import dev.kiln.core.ImageReference;
import dev.kiln.gateway.Result;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.Worker;

import java.io.IOException;
import java.util.List;
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
        return new ExportTarget.OciArchive(destination, attributes.names(),
                attributes.imageOptions(ImageOptions.defaults()));
    }

    @Override
    public Map<String, String> export(Result result, Worker worker, ProgressListener progress)
            throws IOException, InterruptedException {
        return ExportLog.run(progress, "exporting to oci image format", log -> {
            AssembledImage made = ImageAssembler.assemble(result, worker, archive.options(), log);
            List<ImageReference> references = archive.names().stream().map(ImageReference::parseNormalized).toList();
            log.line("sending tarball");
            ArchiveFiles.write(archive.destination(), out -> ImageArchive.writeOci(made, references,
                    worker.images().content(), out, ImageArchive.entryTime(archive.options())));
            return ImageFacts.of(made, archive.names());
        });
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
