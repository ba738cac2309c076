package dev.kiln.engine.export;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes an archive to its destination. A file appears whole or not at all: the archive goes to a temporary file
 * beside it, then is renamed over the destination; a failed or killed write leaves the old file as it was. It is not
 * forced to disk first: it is the user's output, not the engine's state, which the next build would have to trust, and
 * as with a file {@code cp} or buildctl writes, the system's crash is the system's to recover from (a sync cost a
 * cached build's export 2 to 3 ms).
 *
 * <p>The temporary file of {@code NAME} is {@code .NAME.<digits>.partial}, locked while it is written. A process
 * killed meanwhile leaves it behind in the user's folder, so the next write of {@code NAME} deletes the ones nobody
 * holds a lock on; files of any other name, Kiln's or the user's, are never touched.
 */
final class ArchiveFiles {

    /** Temporary files this JVM is writing: probing their locks here would release them (POSIX locks are per process). */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();

    /** Writes the archive's bytes to a stream. */
    @FunctionalInterface
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** rw-rw-rw- less the process's umask, as for any file a program creates. */
    private static final Set<PosixFilePermission> NEW_FILE_MODE = newFileMode();

    private ArchiveFiles() {}

    private static Set<PosixFilePermission> newFileMode() {
        int umask = 022;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Umask:")) {
                    umask = Integer.parseInt(line.substring("Umask:".length()).trim(), 8);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no /proc: the usual umask
        }
        int mode = 0666 & ~umask;
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values();
        for (int bit = 0; bit < 9; bit++) {
            // PosixFilePermission lists OWNER_READ (0400) first, OTHERS_EXECUTE (0001) last
            if ((mode & (0400 >> bit)) != 0) {
                permissions.add(bits[bit]);
            }
        }
        return Collections.unmodifiableSet(permissions);
    }

    static void write(ArchiveDestination destination, Body body) throws IOException {
        switch (destination) {
            case ArchiveDestination.ToFile(Path path) -> writeFile(path, body);
            case ArchiveDestination.ToStream(OutputStream out) -> {
                body.writeTo(out);
                out.flush();
            }
            case ArchiveDestination.ToDirectory(Path dir) ->
                throw new IllegalArgumentException(
                        "an archive is one file, not the directory " + dir + " (the image layout writes its files)");
            case ArchiveDestination.ToClientStore store ->
                throw new IllegalArgumentException(
                        "an archive is one file, not the client's content store (the image layout writes its blobs)");
        }
    }

    private static void writeFile(Path dest, Body body) throws IOException {
        Path parent = dest.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (Files.isDirectory(dest)) {
            throw new IOException("cannot write the archive to " + dest + ": it is a directory (give a file name)");
        }
        String name = dest.getFileName().toString();
        removeStalePartials(parent, name);
        Path temp = Files.createTempFile(parent, "." + name + ".", ".partial");
        WRITING.add(temp);
        try {
            // a temp file is private; the archive gets the mode a plain file of this process would get
            Files.setPosixFilePermissions(temp, NEW_FILE_MODE);
            try (FileOutputStream file = new FileOutputStream(temp.toFile());
                    OutputStream out = new BufferedOutputStream(file, 1 << 16)) {
                file.getChannel().tryLock();
                body.writeTo(out);
                out.flush();
                // Renamed while still locked, so another build's sweep cannot take it first.
                Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            try {
                Files.deleteIfExists(temp);
            } finally {
                WRITING.remove(temp);
            }
        }
    }

    /** Deletes the {@code .NAME.<digits>.partial} files in {@code dir} that no live process is writing. */
    static void removeStalePartials(Path dir, String name) throws IOException {
        Pattern ours = Pattern.compile("\\." + Pattern.quote(name) + "\\.[0-9]+\\.partial");
        List<Path> candidates;
        try (Stream<Path> files = Files.list(dir)) {
            candidates = files.filter(
                            path -> ours.matcher(path.getFileName().toString()).matches())
                    .toList();
        }
        for (Path file : candidates) {
            if (WRITING.contains(file) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                if (channel.tryLock() != null) {
                    Files.deleteIfExists(file);
                }
            } catch (NoSuchFileException | OverlappingFileLockException | AccessDeniedException busyOrGone) {
                // renamed or swept meanwhile, written by this JVM, or not ours to open: leave it
            }
        }
    }
}
