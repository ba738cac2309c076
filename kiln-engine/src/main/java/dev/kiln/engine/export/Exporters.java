package dev.kiln.engine.export;

import dev.kiln.engine.gateway.SolvedReference;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Reference;
import dev.kiln.worker.ReadOnlyView;
import dev.kiln.worker.Worker;
import dev.kiln.worker.fs.CopyOptions;
import dev.kiln.worker.fs.FileActions;
import dev.kiln.worker.fs.UserLookup;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes a build result to its export target. A result with no files (scratch) exports as empty. */
public final class Exporters {

    private Exporters() {
    }

    public static void export(Reference ref, ExportTarget target, Worker worker) throws IOException, InterruptedException {
        if (ref != null && !(ref instanceof SolvedReference)) {
            throw new GatewayException("cannot export a reference made by another engine: " + ref);
        }
        SolvedReference solved = (SolvedReference) ref;
        if (solved == null) {
            Path empty = Files.createTempDirectory("kiln-empty-");
            try {
                write(empty, target);
            } finally {
                Files.delete(empty);
            }
            return;
        }
        try (ReadOnlyView view = solved.open()) {
            write(view.root(), target);
        }
    }

    private static void write(Path root, ExportTarget target) throws IOException {
        switch (target) {
            case ExportTarget.LocalDirectory(Path dest) -> {
                Files.createDirectories(dest);
                new FileActions(dest, UserLookup.idsOnly())
                        .copy(root, "/", "/", CopyOptions.defaults().withDirCopyContents(true)
                                .withAlwaysReplaceExistingDestPaths(true));
            }
            case ExportTarget.TarFile(Path dest) -> {
                Path parent = dest.toAbsolutePath().getParent();
                Files.createDirectories(parent);
                Path temp = Files.createTempFile(parent, ".kiln-export-", ".tar");
                try {
                    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16)) {
                        TreeTar.write(root, out);
                    }
                    Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(temp);
                }
            }
            case ExportTarget.TarStream(OutputStream out) -> {
                TreeTar.write(root, out);
                out.flush();
            }
        }
    }
}
