package dev.kiln.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The temporary files a killed process leaves in the worker's own records: an atomic write's
 * {@code .tmp-*} (AtomicWrite, the usage ledger's too), a download's {@code .download-*} (DownloadCache) and a
 * checksum index being saved ({@code checksums.idx.*.tmp}). The worker holds its state when it sweeps, so
 * none of them can belong to a live writer. Only these record directories are walked: layer
 * contents and cache mounts hold the user's files, whatever their names.
 */
final class TemporaryFiles {

    private static final List<String> RECORD_DIRS = List.of(
            "snapshot-checksums",
            "locals",
            "downloads",
            "images/chains",
            "images/pending",
            "images/layers",
            "images/names",
            "usage");
    private static final int DEPTH = 4;

    private TemporaryFiles() {}

    /** Deletes what a dead writer left under the worker's {@code stateDir}; returns how many files. */
    static int sweep(Path stateDir) throws IOException {
        int removed = 0;
        try (Stream<Path> top = Files.list(stateDir)) {
            for (Path file : top.filter(TemporaryFiles::isChecksumIndexTemp).toList()) {
                removed += Files.deleteIfExists(file) ? 1 : 0;
            }
        }
        for (String name : RECORD_DIRS) {
            Path dir = stateDir.resolve(name);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(dir, DEPTH)) {
                for (Path file : files.filter(TemporaryFiles::isRecordTemp).toList()) {
                    removed += Files.deleteIfExists(file) ? 1 : 0;
                }
            }
        }
        return removed;
    }

    private static boolean isRecordTemp(Path file) {
        String name = file.getFileName().toString();
        return (name.startsWith(".tmp-") || name.startsWith(".download-")) && Files.isRegularFile(file);
    }

    private static boolean isChecksumIndexTemp(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith("checksums.idx.") && name.endsWith(".tmp") && Files.isRegularFile(file);
    }
}
