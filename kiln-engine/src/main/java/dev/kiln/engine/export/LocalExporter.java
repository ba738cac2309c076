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
import java.util.Optional;

/**
 * {@code type=local}: the result's files written into a directory on the host (created if missing), owned by the
 * user running Kiln, as BuildKit's local exporter gives them; a multi-platform result's files go into one directory
 * per platform ({@code linux_amd64/}, {@code linux_arm64/}).
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
        Optional<ResultPlatforms> platforms = ResultPlatforms.of(result);
        if (platforms.isEmpty()) {
            try (ResultFiles files = ResultFiles.open(result)) {
                copy(files, dest);
            }
            return Map.of();
        }
        // as BuildKit's local exporter: one directory per platform, named by its id (linux_arm64)
        platforms.get().evaluate();
        for (ResultPlatforms.PlatformPart part : platforms.get().platforms()) {
            try (ResultFiles files = ResultFiles.open(part.ref())) {
                copy(files, dest.resolve(part.directory()));
            }
        }
        return Map.of();
    }

    private static void copy(ResultFiles files, Path dest) throws IOException {
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

    @Override
    public String describe() {
        return dest.toString();
    }

    @Override
    public boolean streams() {
        return false;
    }
}
