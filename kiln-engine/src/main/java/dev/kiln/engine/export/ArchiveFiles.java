package dev.kiln.engine.export;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes an archive to its destination. A file appears whole or not at all: the archive goes to a temporary file
 * beside it, is forced to disk, then renamed over the destination; a failed write leaves the old file as it was.
 */
final class ArchiveFiles {

    /** Writes the archive's bytes to a stream. */
    @FunctionalInterface
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private ArchiveFiles() {
    }

    static void write(ArchiveDestination destination, Body body) throws IOException {
        switch (destination) {
            case ArchiveDestination.ToFile(Path path) -> writeFile(path, body);
            case ArchiveDestination.ToStream(OutputStream out) -> {
                body.writeTo(out);
                out.flush();
            }
        }
    }

    private static void writeFile(Path dest, Body body) throws IOException {
        Path parent = dest.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (Files.isDirectory(dest)) {
            throw new IOException("cannot write the archive to " + dest + ": it is a directory (give a file name)");
        }
        Path temp = Files.createTempFile(parent, "." + dest.getFileName() + ".", ".partial");
        try {
            try (FileOutputStream file = new FileOutputStream(temp.toFile());
                 OutputStream out = new BufferedOutputStream(file, 1 << 16)) {
                body.writeTo(out);
                out.flush();
                file.getChannel().force(true);
            }
            Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
