package dev.kiln.engine.export;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.gateway.Result;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import dev.kiln.worker.fs.CopyOptions;
import dev.kiln.worker.fs.FileActions;
import dev.kiln.worker.fs.Owner;
import dev.kiln.worker.fs.UserLookup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code type=local}: the result's files written into a directory on the host (created if missing), owned by the
 * user running Kiln, as BuildKit's local exporter gives them.
 */
record LocalExporter(Path dest) implements Exporter {

    /** {@code dest=DIR}. */
    static ExportTarget resolve(ExportAttributes attributes) {
        String dest = attributes.attr("dest");
        if (dest.isEmpty()) {
            throw new IllegalArgumentException("needs dest=DIR");
        }
        return new ExportTarget.LocalDirectory(Path.of(dest).toAbsolutePath());
    }

    @Override
    public Map<String, String> export(Result result, Worker worker, BuildSession session, ProgressListener progress)
            throws IOException, InterruptedException {
        try (ResultFiles files = ResultFiles.open(result)) {
            Files.createDirectories(dest);
            // BuildKit's client receives a local export over filesync and writes every file as itself, keeping
            // mode bits and times but not the image's owners, so the user can edit and delete what it wrote.
            Owner user = new Owner(PosixFiles.uid(), PosixFiles.gid());
            new FileActions(dest, UserLookup.idsOnly())
                    .copy(
                            files.root(),
                            "/",
                            "/",
                            CopyOptions.defaults()
                                    .withDirCopyContents(true)
                                    .withAlwaysReplaceExistingDestPaths(true)
                                    .withOwner(user));
        }
        return Map.of();
    }

    @Override
    public String describe() {
        return dest.toString();
    }

    @Override
    public boolean streams() {
        return false;
    }
}
