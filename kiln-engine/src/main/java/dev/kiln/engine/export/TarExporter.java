package dev.kiln.engine.export;

import dev.kiln.engine.attest.StatementFiles;
import dev.kiln.gateway.Attestation;
import dev.kiln.gateway.Result;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code type=tar}: the result's files as one tar archive, to a file or a stream. Unlike a local export, the tar keeps
 * the owners the result's files have. A multi-platform result's files go under one top directory per platform.
 */
record TarExporter(ArchiveDestination destination) implements Exporter {

    /** {@code dest=FILE}; no dest, or {@code dest=-}, writes to stdout. */
    static ExportTarget resolve(ExportAttributes attributes) {
        String dest = attributes.attr("dest");
        return dest.isEmpty() || dest.equals("-")
                ? new ExportTarget.TarStream(attributes.defaults().stdout())
                : new ExportTarget.TarFile(Path.of(dest).toAbsolutePath());
    }

    @Override
    public Map<String, String> export(Result result, Worker worker, BuildSession session, ProgressListener progress)
            throws IOException, InterruptedException {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        List<ResultFiles.Part> parts = ResultFiles.parts(result);
        if (parts.getFirst().directory().isEmpty()) {
            try (ResultFiles files = ResultFiles.open(parts.getFirst().ref())) {
                Map<String, TreeTar.ExtraFile> statements =
                        extra(files.root(), parts.getFirst().attestations(), now);
                ArchiveFiles.write(destination, out -> TreeTar.write(files.root(), statements, out));
            }
            return Map.of();
        }
        // as BuildKit's tar exporter: one top directory per platform, named by its id (linux_arm64)
        List<ResultFiles> opened = new ArrayList<>();
        try {
            LinkedHashMap<String, Path> roots = new LinkedHashMap<>();
            Map<String, Map<String, TreeTar.ExtraFile>> statements = new LinkedHashMap<>();
            for (ResultFiles.Part part : parts) {
                ResultFiles files = ResultFiles.open(part.ref());
                opened.add(files);
                roots.put(part.directory(), files.root());
                statements.put(part.directory(), extra(files.root(), part.attestations(), now));
            }
            ArchiveFiles.write(destination, out -> TreeTar.write(roots, statements, out));
        } finally {
            for (ResultFiles files : opened) {
                files.close();
            }
        }
        return Map.of();
    }

    /** The attestations as statement files, as BuildKit's tar exporter adds them to the tree. */
    private static Map<String, TreeTar.ExtraFile> extra(Path root, List<Attestation> attestations, Instant time)
            throws IOException {
        Map<String, TreeTar.ExtraFile> files = new LinkedHashMap<>();
        StatementFiles.of(root, attestations)
                .forEach((name, bytes) -> files.put(name, new TreeTar.ExtraFile(bytes, time)));
        return files;
    }

    @Override
    public String describe() {
        return destination.describe() + " (tar)";
    }

    @Override
    public boolean streams() {
        return destination instanceof ArchiveDestination.ToStream;
    }
}
