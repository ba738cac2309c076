package dev.kiln.engine.export;

import dev.kiln.gateway.Result;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
        Optional<ResultPlatforms> platforms = ResultPlatforms.of(result);
        if (platforms.isEmpty()) {
            try (ResultFiles files = ResultFiles.open(result)) {
                ArchiveFiles.write(destination, out -> TreeTar.write(files.root(), out));
            }
            return Map.of();
        }
        // as BuildKit's tar exporter: one top directory per platform, named by its id (linux_arm64)
        platforms.get().evaluate();
        List<ResultFiles> opened = new ArrayList<>();
        try {
            LinkedHashMap<String, Path> roots = new LinkedHashMap<>();
            for (ResultPlatforms.PlatformPart part : platforms.get().platforms()) {
                ResultFiles files = ResultFiles.open(part.ref());
                opened.add(files);
                roots.put(part.directory(), files.root());
            }
            ArchiveFiles.write(destination, out -> TreeTar.write(roots, out));
        } finally {
            for (ResultFiles files : opened) {
                files.close();
            }
        }
        return Map.of();
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
