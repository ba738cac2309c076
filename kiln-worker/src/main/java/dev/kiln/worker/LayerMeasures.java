package dev.kiln.worker;

import dev.kiln.core.sys.Lstat;
import dev.kiln.worker.snapshot.Snapshotter;
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
import java.util.function.Function;

/**
 * Each layer's measure ({@link DiskUsage.LayerFiles}), kept on disk, one file a layer, and read from it when asked:
 * measuring one stats every file in it, which every new daemon did again for every layer of its state (one that its
 * idle timeout stopped, say), in the background of its first builds. Not kept in memory as well: a COPY's layer
 * measures every file it links, and the measures of a daemon's live layers grew with its cache (12 MB of its heap
 * after 35 W3 builds, one 20,000-file COPY layer each), where issue 13's W6 asks for no growth across 100 builds. A file names the layer directory's own
 * device and inode, so a state copied to another file system, whose inode numbers differ, is measured again. Written
 * without fsync: a torn file fails its length check and its layer is measured again.
 *
 * <p>A layer's files never change, but their link counts do: a commit hard-links files of committed layers into its
 * new one ({@link Snapshotter.LayerLinks}), and a file measured with one name, as only its layer's, then has a name in
 * the new layer too, whose measure counts it again. So the measures of a commit's source layers are forgotten
 * before the first link is made (the syncfs that makes the commit's layer durable makes that
 * durable too, on the state's file system), and a
 * measure taken while links are made, or begun before, is used once and not kept.
 */
final class LayerMeasures implements Snapshotter.LayerLinks {

    private static final int MAGIC = 0x4b4c4d31; // "KLM1"
    /** magic, the layer directory's device and inode, the singly linked bytes, the count of linked files */
    private static final int HEADER = 4 + 8 + 8 + 8 + 4;

    private static final DiskUsage.LayerFiles NOTHING =
            new DiskUsage.LayerFiles(0, new long[0], new long[0], new long[0]);

    private final Path dir;
    /** Orders what is kept against links being made: a measure is kept only under it, and forgotten under it. */
    private final Object lock = new Object();
    /** How many commits are making links now; guarded by lock. */
    private int linking;
    /** How many commits have begun making links; guarded by lock. */
    private long linkings;

    LayerMeasures(Path dir) {
        this.dir = dir;
    }

    /**
     * The measure of {@code layer}, whose directory is {@code root}: the one kept, else one {@code walk} takes now and
     * keeps, unless links to the files of some layer are made meanwhile. A layer removed meanwhile takes no space.
     */
    DiskUsage.LayerFiles of(String layer, Path root, Function<Path, DiskUsage.LayerFiles> walk) {
        Lstat identity;
        try {
            identity = Lstat.ofIfExists(root);
        } catch (IOException unreadable) {
            identity = null;
        }
        if (identity == null) {
            return NOTHING;
        }
        long began;
        synchronized (lock) {
            began = linking > 0 ? -1 : linkings; // -1 matches no count: links being made now, so not kept
        }
        Optional<DiskUsage.LayerFiles> stored = read(layer, identity);
        if (stored.isPresent()) {
            return stored.get();
        }
        DiskUsage.LayerFiles files = walk.apply(root);
        synchronized (lock) {
            if (began == linkings) {
                write(layer, identity, files);
            }
        }
        return files;
    }

    /** Forgets the measures of {@code layers}, whose files are about to gain names, and keeps none until they have. */
    @Override
    public Linking linking(Set<String> layers) throws IOException {
        synchronized (lock) {
            linking++;
            linkings++;
            for (String layer : layers) {
                Files.deleteIfExists(dir.resolve(layer));
            }
        }
        return () -> {
            synchronized (lock) {
                linking--;
            }
        };
    }

    /**
     * The measure kept for {@code layer}, when there is a whole one of its directory as it is now ({@code root}: the
     * directory's lstat).
     */
    private Optional<DiskUsage.LayerFiles> read(String layer, Lstat root) {
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
    private void write(String layer, Lstat root, DiskUsage.LayerFiles files) {
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
     * Forgets the measures of layers other than {@code liveLayers}, and deletes what a write interrupted over an hour
     * ago left (a younger one may be a write under way). A daemon lists its usage after every build for its lifetime,
     * and a layer of a COPY keeps an entry per linked file (some 1 MB for 20,000 files).
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
