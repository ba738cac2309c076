package dev.kiln.worker;

import dev.kiln.core.sys.Lstat;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Each layer's measure ({@link DiskUsage.LayerFiles}) kept on disk between processes, one file a layer: layers never
 * change, and measuring one stats every file in it, which every new daemon did again for every layer of its state
 * (one that its idle timeout stopped, say), in the background of its first builds. A file names the layer
 * directory's own device and inode, so a state copied to another file system, whose inode numbers differ, is
 * measured again. Written without fsync: a torn file fails its length check and its layer is measured again.
 */
final class LayerMeasures {

    private static final int MAGIC = 0x4b4c4d31; // "KLM1"
    /** magic, the layer directory's device and inode, the singly linked bytes, the count of linked files */
    private static final int HEADER = 4 + 8 + 8 + 8 + 4;

    private final Path dir;

    LayerMeasures(Path dir) {
        this.dir = dir;
    }

    /**
     * The measure kept for {@code layer}, when there is a whole one of its directory as it is now ({@code root}: the
     * directory's lstat).
     */
    Optional<DiskUsage.LayerFiles> read(String layer, Lstat root) {
        try {
            ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(layer)));
            if (in.remaining() < HEADER
                    || in.getInt() != MAGIC
                    || in.getLong() != root.device()
                    || in.getLong() != root.inode()) {
                return Optional.empty();
            }
            long singlyLinked = in.getLong();
            int count = in.getInt();
            if (count < 0 || in.remaining() != count * 24L) {
                return Optional.empty();
            }
            long[] devices = new long[count];
            long[] inodes = new long[count];
            long[] sizes = new long[count];
            for (int i = 0; i < count; i++) {
                devices[i] = in.getLong();
                inodes[i] = in.getLong();
                sizes[i] = in.getLong();
            }
            return Optional.of(new DiskUsage.LayerFiles(singlyLinked, devices, inodes, sizes));
        } catch (IOException unreadable) {
            return Optional.empty();
        }
    }

    /**
     * Keeps {@code files} as the measure of {@code layer}, whose directory's lstat is {@code root}; where it cannot be
     * written, the next process measures.
     */
    void write(String layer, Lstat root, DiskUsage.LayerFiles files) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(HEADER + files.inodes().length * 24);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeLong(root.device());
            out.writeLong(root.inode());
            out.writeLong(files.singlyLinked());
            out.writeInt(files.inodes().length);
            for (int i = 0; i < files.inodes().length; i++) {
                out.writeLong(files.devices()[i]);
                out.writeLong(files.inodes()[i]);
                out.writeLong(files.sizes()[i]);
            }
            Files.createDirectories(dir);
            Path temporary =
                    dir.resolve(".tmp-" + layer + "-" + ProcessHandle.current().pid() + "-"
                            + Thread.currentThread().threadId());
            Files.write(temporary, bytes.toByteArray());
            Files.move(temporary, dir.resolve(layer), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException unwritable) {
            // a measure is a cache of the layer's files: without it, the next process walks the layer again
        }
    }

    /**
     * Deletes the measures of layers other than {@code liveLayers}, and what a write interrupted over an hour ago left
     * (a younger one may be a write under way).
     */
    void retain(Set<String> liveLayers) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                boolean abandoned = name.startsWith(".tmp-")
                        && Files.getLastModifiedTime(file)
                                .toInstant()
                                .isBefore(Instant.now().minus(Duration.ofHours(1)));
                if (abandoned || (!liveLayers.contains(name) && !name.startsWith(".tmp-"))) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException unreadable) {
            // the next listing tries again; a stale measure names a layer id that is never used again
        }
    }
}
