package dev.kiln.engine.export;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.engine.attest.StatementFiles;
import dev.kiln.gateway.Attestation;
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
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * {@code type=local}: the result's files written into a directory on the host (created if missing), owned by the
 * user running Kiln, as BuildKit's local exporter gives them; a multi-platform result's files go into one directory
 * per platform ({@code linux_amd64/}, {@code linux_arm64/}). A result's attestations are written beside its files as
 * statement files ({@code provenance.json}, {@code sbom.spdx.json}), as BuildKit writes them.
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
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        // as BuildKit's local exporter: a multi-platform result's files in one directory per platform (linux_arm64)
        for (ResultFiles.Part part : ResultFiles.parts(result)) {
            try (ResultFiles files = ResultFiles.open(part.ref())) {
                Path partDest = dest.resolve(part.directory());
                copy(files, partDest);
                writeStatements(files, part.attestations(), partDest, now);
            }
        }
        return Map.of();
    }

    /**
     * The attestations as statement files beside the result's files, mode 0600, as BuildKit's local exporter writes
     * them; their subjects are the result's files.
     */
    private static void writeStatements(ResultFiles files, List<Attestation> attestations, Path dest, Instant now)
            throws IOException {
        for (Map.Entry<String, byte[]> file :
                StatementFiles.of(files.root(), attestations).entrySet()) {
            Path path = dest.resolve(file.getKey());
            Files.deleteIfExists(path);
            Files.write(path, file.getValue());
            Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Files.setLastModifiedTime(path, java.nio.file.attribute.FileTime.from(now));
        }
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
}
