package dev.kiln.worker;

import dev.kiln.core.PathPatterns;
import dev.kiln.worker.fs.FileStat;
import dev.kiln.worker.fs.ScopedRoot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads files of a result for the gateway's Reference: every path is resolved inside the result's
 * root as a chroot would, so a symlink in an image can never make the engine read the host.
 */
public final class ScopedReads {

    private final ScopedRoot root;
    /** Whether the root is a layer's own directory, whose whiteouts stand for files that are not there. */
    private final boolean hidesWhiteouts;

    ScopedReads(Path root, boolean hidesWhiteouts) {
        this.root = new ScopedRoot(root);
        this.hidesWhiteouts = hidesWhiteouts;
    }

    /** A named file's stat, with its path as given. */
    public record Entry(String path, FileStat stat, String linkTarget) {}

    /** Reads {@code length} bytes from {@code offset} ({@code length} < 0: to the end). */
    public byte[] readFile(String path, long offset, int length) throws IOException {
        Path file = root.resolve(path);
        if (Files.isDirectory(file)) {
            throw new IOException(path + " is a directory");
        }
        if (isHiddenWhiteout(file)) {
            throw new NoSuchFileException(path, null, "no such file");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            long start = Math.min(offset, size);
            long want = length < 0 ? size - start : Math.min(length, size - start);
            if (want > Integer.MAX_VALUE - 16) {
                throw new IOException(path + " is too large to read at once (" + size + " bytes); read it by ranges");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) want);
            while (buffer.hasRemaining() && channel.read(buffer, start + buffer.position()) > 0) {
                // keep reading until the range is filled or the file ends
            }
            return buffer.flip().remaining() == buffer.capacity()
                    ? buffer.array()
                    : java.util.Arrays.copyOf(buffer.array(), buffer.remaining());
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path, null, "no such file");
        }
    }

    public Entry stat(String path) throws IOException {
        Path file = root.resolve(path, false);
        FileStat stat = FileStat.ofIfExists(file)
                .filter(found -> !hides(found))
                .orElseThrow(() -> new NoSuchFileException(path, null, "no such file or directory"));
        return new Entry(
                path, stat, stat.isSymlink() ? Files.readSymbolicLink(file).toString() : "");
    }

    /** The entries of a directory, sorted by name, those matching {@code includePattern} only when it is not empty. */
    public List<Entry> readDir(String path, String includePattern) throws IOException {
        Path dir = root.resolve(path);
        if (!Files.isDirectory(dir)) {
            throw Files.exists(dir) && !isHiddenWhiteout(dir)
                    ? new NotDirectoryException(path)
                    : new NoSuchFileException(path, null, "no such directory");
        }
        PathPatterns include =
                includePattern.isEmpty() ? PathPatterns.none() : PathPatterns.compile(List.of(includePattern));
        List<Entry> entries = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path child : list.sorted().toList()) {
                String name = child.getFileName().toString();
                if (!includePattern.isEmpty() && !include.matches(name)) {
                    continue;
                }
                FileStat stat = FileStat.of(child);
                if (hides(stat)) {
                    continue;
                }
                entries.add(new Entry(
                        name,
                        stat,
                        stat.isSymlink() ? Files.readSymbolicLink(child).toString() : ""));
            }
        }
        return entries;
    }

    private boolean hides(FileStat stat) {
        return hidesWhiteouts && stat.isWhiteout();
    }

    private boolean isHiddenWhiteout(Path file) throws IOException {
        return hidesWhiteouts
                && FileStat.ofIfExists(file).map(FileStat::isWhiteout).orElse(false);
    }
}
