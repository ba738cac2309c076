package dev.kiln.oci.layer;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.kiln.core.Overlay;
import dev.kiln.core.sys.Lstat;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.Xattrs;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.Deflater;

/**
 * Turns an overlayfs-format layer directory into a layer blob: whiteout devices become {@code .wh.NAME} entries,
 * opaque directories get a {@code .wh..wh..opq} entry, files keep mode, owner, mtime (to the second) and extended
 * attributes, and names inside the layer that share an inode become hard link entries.
 *
 * <p>The output is reproducible: entries in byte order of their names, directories before what they hold (the
 * layer's root itself is not an entry), no owner names, access or change times, mtimes clamped to
 * {@link LayerWriteOptions#clamp()} when given, gzip without a name or time in its header. The tar streams through
 * the compressor straight to {@code out}, and the diffID, digest and size are computed on the way, so a layer is
 * never held in memory. gzip is compressed in blocks on all cores ({@link ParallelGzipOutputStream}: about twice
 * as fast on two cores for a 50 MB layer); blocks may end only between entries, chosen by the entries' names, so
 * that {@link LayerWriteOptions#blocks()} can hand back the blocks an earlier write of much the same files made.
 * Each call is independent of any other, so several layers can be written at once.
 */
public final class LayerWriter {
    private static final int ZSTD_LEVEL = 3;
    private static final InputStream NO_CONTENT = InputStream.nullInputStream();

    private final TarWriter tar;
    /** Flushed before each cut, so the compressor sees the entry's last byte. */
    private final OutputStream buffered;
    /** The gzip compressor told where entries end, or null for other compressions. */
    private final ParallelGzipOutputStream cuts;

    private final Instant clamp;
    /** The first name written for each inode with several links, so the later names become link entries. */
    private final Map<FileKey, String> firstNames = new HashMap<>();

    private LayerWriter(OutputStream buffered, ParallelGzipOutputStream cuts, Optional<Instant> clamp) {
        this.tar = new TarWriter(buffered, cuts == null ? TarWriter.ContentBounds.NONE : new OwnBlocks(buffered, cuts));
        this.buffered = buffered;
        this.cuts = cuts;
        this.clamp = clamp.orElse(null);
    }

    /** Tells the gzip compressor where a big file's content starts and ends, so it gives the file blocks of its own. */
    private record OwnBlocks(OutputStream buffered, ParallelGzipOutputStream gzip) implements TarWriter.ContentBounds {
        @Override
        public void contentStarts(long size) throws IOException {
            if (ParallelGzipOutputStream.hasOwnBlocks(size)) {
                buffered.flush();
                gzip.ownBlocksStart();
            }
        }

        @Override
        public void contentEnds(long size) throws IOException {
            if (ParallelGzipOutputStream.hasOwnBlocks(size)) {
                buffered.flush();
                gzip.ownBlocksEnd();
            }
        }
    }

    /** Writes the blob for the layer directory {@code layer} to {@code out}, which stays open. */
    public static WrittenLayer write(Path layer, OutputStream out, LayerWriteOptions options) throws IOException {
        if (!Files.isDirectory(layer, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("layer directory " + layer + " is not a directory");
        }
        HashingOutputStream blob = new HashingOutputStream(out);
        OutputStream compressor = compressing(options, blob);
        HashingOutputStream uncompressed = compressor == blob ? blob : new HashingOutputStream(compressor);
        BufferedOutputStream buffered = new BufferedOutputStream(uncompressed, 65536);
        LayerWriter writer = new LayerWriter(
                buffered, compressor instanceof ParallelGzipOutputStream gzip ? gzip : null, options.clamp());
        try {
            writer.writeDirectory(layer, "");
            writer.tar.finish();
            buffered.flush();
        } catch (IOException | RuntimeException | Error e) {
            try {
                compressor.close(); // compressors hold native memory; the partial blob is the caller's to discard
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        if (compressor != blob) {
            finish(compressor);
        }
        blob.flush();
        if (compressor == blob) {
            var digest = blob.sha().digest();
            return new WrittenLayer(digest, digest, blob.sha().count(), options.compression());
        }
        return new WrittenLayer(
                uncompressed.sha().digest(), blob.sha().digest(), blob.sha().count(), options.compression());
    }

    private static OutputStream compressing(LayerWriteOptions options, OutputStream blob) throws IOException {
        return switch (options.compression()) {
            case NONE -> blob;
            case GZIP -> new ParallelGzipOutputStream(blob, Deflater.DEFAULT_COMPRESSION, options.blocks());
            case ZSTD -> new ZstdOutputStreamNoFinalizer(blob, ZSTD_LEVEL);
        };
    }

    /** Ends the compressed stream and frees the compressor; closing the hashing stream below only flushes it. */
    private static void finish(OutputStream compressor) throws IOException {
        compressor.close();
    }

    private void writeDirectory(Path directory, String prefix) throws IOException {
        List<Child> children = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path path : entries) {
                String name = path.getFileName().toString();
                Lstat stat = Lstat.of(path);
                String tarName = isWhiteout(stat) ? Overlay.WHITEOUT_PREFIX + name : name;
                children.add(new Child(path, tarName, tarName.getBytes(StandardCharsets.UTF_8), stat));
            }
        }
        children.sort((a, b) -> Arrays.compareUnsigned(a.sortKey(), b.sortKey()));
        for (Child child : children) {
            writeChild(child, prefix);
        }
    }

    private void writeChild(Child child, String prefix) throws IOException {
        Lstat stat = child.stat();
        Path path = child.path();
        String name = prefix + child.tarName();
        Instant modified = clamped(stat.modified());
        if (isWhiteout(stat)) {
            put(TarEntry.of(name, TarType.REGULAR, 0, 0, 0, modified), NO_CONTENT);
            return;
        }
        int type = stat.type();
        if (type == PosixFiles.S_IFSOCK) {
            return; // sockets belong to a running process; tar has no way to carry them
        }
        if (type == PosixFiles.S_IFDIR) {
            put(entry(name + "/", TarType.DIRECTORY, stat, modified, path), NO_CONTENT);
            if (isOpaque(path)) {
                put(TarEntry.of(name + "/" + Overlay.OPAQUE_MARKER, TarType.REGULAR, 0, 0, 0, modified), NO_CONTENT);
            }
            writeDirectory(path, name + "/");
            return;
        }
        if (stat.links() > 1) {
            String first = firstNames.putIfAbsent(new FileKey(stat.device(), stat.inode()), name);
            if (first != null) {
                put(entry(name, TarType.HARD_LINK, stat, modified, path).withLinkName(first), NO_CONTENT);
                return;
            }
        }
        switch (type) {
            case PosixFiles.S_IFREG -> {
                try (InputStream content = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
                    put(entry(name, TarType.REGULAR, stat, modified, path).withSize(stat.size()), content);
                }
            }
            case PosixFiles.S_IFLNK ->
                put(
                        entry(name, TarType.SYMLINK, stat, modified, path)
                                .withLinkName(Files.readSymbolicLink(path).toString()),
                        NO_CONTENT);
            case PosixFiles.S_IFIFO -> put(entry(name, TarType.FIFO, stat, modified, path), NO_CONTENT);
            case PosixFiles.S_IFCHR, PosixFiles.S_IFBLK -> {
                TarType device = type == PosixFiles.S_IFCHR ? TarType.CHAR_DEVICE : TarType.BLOCK_DEVICE;
                put(
                        entry(name, device, stat, modified, path)
                                .withDevice(PosixFiles.major(stat.rdev()), PosixFiles.minor(stat.rdev())),
                        NO_CONTENT);
            }
            default ->
                throw new IOException(
                        path + " has an unknown file type (mode " + Integer.toOctalString(stat.mode()) + ")");
        }
    }

    /** Writes one entry and tells the compressor an entry ended, where a block may end. */
    private void put(TarEntry entry, InputStream content) throws IOException {
        tar.write(entry, content);
        if (cuts != null) {
            buffered.flush();
            cuts.entryEnd(entry.name().getBytes(StandardCharsets.UTF_8));
        }
    }

    private TarEntry entry(String name, TarType type, Lstat stat, Instant modified, Path path) throws IOException {
        return TarEntry.of(
                        name,
                        type,
                        stat.mode() & 07777,
                        Integer.toUnsignedLong(stat.uid()),
                        Integer.toUnsignedLong(stat.gid()),
                        modified)
                .withXattrs(xattrs(path));
    }

    /**
     * Every attribute but overlayfs's own bookkeeping (the layer format, told by whiteout entries instead) and the
     * host's SELinux label, which describes the build host's policy, not the image.
     */
    private static Map<String, byte[]> xattrs(Path path) throws IOException {
        Map<String, byte[]> xattrs = new TreeMap<>();
        for (String attribute : Xattrs.list(path)) {
            if (attribute.startsWith(Overlay.XATTR_PREFIX) || attribute.equals("security.selinux")) {
                continue;
            }
            Xattrs.get(path, attribute).ifPresent(value -> xattrs.put(attribute, value));
        }
        return xattrs;
    }

    private static boolean isOpaque(Path directory) throws IOException {
        return Xattrs.get(directory, Overlay.OPAQUE_XATTR)
                .map(Overlay::isOpaqueValue)
                .orElse(false);
    }

    /** Whole seconds, as in ustar; clamped first, so a clamp with a fraction still bounds every mtime. */
    private Instant clamped(FileTime modified) {
        Instant time = modified.toInstant();
        if (clamp != null && time.isAfter(clamp)) {
            time = clamp;
        }
        return Instant.ofEpochSecond(time.getEpochSecond());
    }

    private record Child(Path path, String tarName, byte[] sortKey, Lstat stat) {}

    private record FileKey(long device, long inode) {}

    /** An overlay whiteout: a character device numbered 0/0. */
    private static boolean isWhiteout(Lstat stat) {
        return stat.type() == PosixFiles.S_IFCHR && stat.rdev() == 0;
    }
}
