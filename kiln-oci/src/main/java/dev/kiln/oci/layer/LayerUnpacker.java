package dev.kiln.oci.layer;

import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.kiln.core.Overlay;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.SyscallException;
import dev.kiln.core.sys.Xattrs;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Unpacks an OCI or Docker layer blob (a tar, plain, gzip or zstd) into an empty directory as an overlayfs layer:
 * {@code .wh.NAME} entries become whiteout devices, {@code .wh..wh..opq} makes its directory opaque, and every other
 * entry keeps its type, mode (setuid, setgid and sticky included), owner, mtime and extended attributes.
 *
 * <p>The blob streams through once: nothing of it is held in memory, and the diffID and the blob digest are computed
 * on the way. Names are relative to the directory whether or not they start with "/" or "./", and an entry for the
 * directory itself is skipped, as containerd does. Entries that would reach outside the directory (".." that climbs
 * out, paths through a symlink pointing outside, hard links to files not in the layer) stop the unpacking with an
 * error naming the entry.
 * The caller unpacks into a fresh directory and discards it on failure; syncing it to disk is the caller's too.
 */
public final class LayerUnpacker {
    private static final int MAX_WARNINGS = 100;
    private static final long MAX_ID = 0xfffffffeL; // (uid_t) -1 means "unchanged" to chown(2)

    private final LayerTarget target;
    private final List<String> warnings = new ArrayList<>();
    private final Map<Path, Instant> directoryTimes = new HashMap<>();
    private int skippedDevices;
    private int suppressedWarnings;

    private LayerUnpacker(Path target) {
        this.target = new LayerTarget(target);
    }

    /** Applies {@code blob}, its compression told by its first bytes. */
    public static AppliedLayer apply(InputStream blob, Path target) throws IOException {
        return apply(blob, null, target);
    }

    /**
     * Applies {@code blob}, declared by a manifest as {@code mediaType} (null when unknown). The blob's magic bytes
     * decide how it is read; a media type that disagrees with them is reported as a warning, as registries and
     * older tools sometimes label uncompressed layers as gzip.
     *
     * @throws IllegalArgumentException when {@code mediaType} is not a layer media type, or {@code target} is not
     *     an empty directory
     * @throws InvalidLayerException when the blob is not a readable layer or an entry is unsafe
     */
    public static AppliedLayer apply(InputStream blob, String mediaType, Path target) throws IOException {
        LayerCompression declared = mediaType == null ? null : LayerCompression.ofMediaType(mediaType);
        requireEmptyDirectory(target);
        return new LayerUnpacker(target).unpack(blob, declared, mediaType);
    }

    private AppliedLayer unpack(InputStream blob, LayerCompression declared, String mediaType) throws IOException {
        // The blob stays the caller's to close; the decompressor below is ours, and holds native memory.
        HashingInputStream raw = new HashingInputStream(new FilterInputStream(blob) {
            @Override
            public void close() {}
        });
        BufferedInputStream buffered = new BufferedInputStream(raw, 65536);
        buffered.mark(8);
        byte[] head = new byte[8];
        int headLength = buffered.readNBytes(head, 0, head.length);
        buffered.reset();
        LayerCompression compression = LayerCompression.detect(head, headLength);
        var unsupported = LayerCompression.unsupported(head, headLength);
        if (unsupported.isPresent()) {
            throw new InvalidLayerException(
                    null,
                    "the layer blob is " + unsupported.get()
                            + "-compressed; layers must be plain, gzip or zstd tar streams");
        }
        if (declared != null && declared != compression) {
            warn("the media type " + mediaType + " says " + name(declared) + ", but the blob is " + name(compression)
                    + "; it was read as " + name(compression));
        }
        try (HashingInputStream tar = new HashingInputStream(decompressing(compression, buffered))) {
            TarReader reader = new TarReader(new BufferedInputStream(tar, 65536));
            for (TarEntry entry = reader.next(); entry != null; entry = reader.next()) {
                try {
                    applyEntry(entry, reader.content());
                } catch (InvalidLayerException | ZipException | ZstdIOException | EOFException e) {
                    throw e;
                } catch (IOException e) {
                    throw new IOException("cannot apply layer entry \"" + entry.name() + "\": " + e.getMessage(), e);
                }
            }
            tar.drain();
            raw.drain();
            setDirectoryTimes();
            if (suppressedWarnings > 0) {
                warnings.add(suppressedWarnings + " more warnings like these were left out");
            }
            return new AppliedLayer(
                    tar.sha().digest(), raw.sha().digest(), raw.sha().count(), compression, skippedDevices, warnings);
        } catch (ZipException | ZstdIOException e) {
            throw new InvalidLayerException(
                    null,
                    "the " + name(compression) + " layer blob is corrupt after "
                            + raw.sha().count() + " bytes: " + e.getMessage(),
                    e);
        } catch (EOFException e) {
            throw new InvalidLayerException(
                    null,
                    "the " + name(compression) + " layer blob is truncated after "
                            + raw.sha().count() + " bytes",
                    e);
        }
    }

    private static InputStream decompressing(LayerCompression compression, InputStream in) throws IOException {
        return switch (compression) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, 65536);
            case ZSTD -> new ZstdInputStreamNoFinalizer(in);
        };
    }

    private void applyEntry(TarEntry entry, InputStream content) throws IOException {
        String name = entry.name();
        List<String> components = LayerPath.components(name, name, "the name");
        if (components.isEmpty()) {
            // The root itself ("/", "./"): containerd's applier skips it, so a layer never changes the root directory's
            // owner, mode or type, and an image unpacks here as it does under BuildKit.
            return;
        }
        String base = components.getLast();
        if (base.equals(Overlay.OPAQUE_MARKER)) {
            Path directory = target.parentOf(name, components);
            setXattr(directory, Overlay.OPAQUE_XATTR, Overlay.opaqueValue(), name);
            return;
        }
        if (base.startsWith(Overlay.META_PREFIX)) {
            return;
        }
        Path parent = target.parentOf(name, components);
        if (base.startsWith(Overlay.WHITEOUT_PREFIX)) {
            String deleted = base.substring(Overlay.WHITEOUT_PREFIX.length());
            if (deleted.isEmpty() || deleted.equals(".") || deleted.equals("..")) {
                throw new InvalidLayerException(name, "a whiteout must name a file");
            }
            Path path = parent.resolve(deleted);
            replace(path);
            PosixFiles.mknod(path, PosixFiles.S_IFCHR, 0);
            setTimes(path, entry.modified());
            return;
        }
        Path path = parent.resolve(base);
        BasicFileAttributes existing = LayerTarget.lstat(path);
        if (entry.type() == TarType.DIRECTORY) {
            if (existing != null && !existing.isDirectory()) {
                target.remove(path);
                existing = null;
            }
            if (existing == null) {
                Files.createDirectory(path);
            }
            setMetadata(path, entry);
            return;
        }
        if (entry.type() == TarType.HARD_LINK) {
            Path linked = target.linkTarget(name, entry.linkName());
            if (!linked.equals(path)) {
                if (existing != null) {
                    target.remove(path);
                }
                Files.createLink(path, linked);
            }
            return;
        }
        if (existing != null) {
            target.remove(path);
        }
        switch (entry.type()) {
            case REGULAR -> {
                try (OutputStream out =
                        Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    content.transferTo(out);
                }
            }
            case SYMLINK -> {
                if (entry.linkName().isEmpty()) {
                    throw new InvalidLayerException(name, "a symlink with an empty target");
                }
                Files.createSymbolicLink(path, Path.of(entry.linkName()));
            }
            case FIFO -> PosixFiles.mknod(path, PosixFiles.S_IFIFO | entry.mode(), 0);
            case CHAR_DEVICE, BLOCK_DEVICE -> {
                int type = entry.type() == TarType.CHAR_DEVICE ? PosixFiles.S_IFCHR : PosixFiles.S_IFBLK;
                try {
                    PosixFiles.mknod(path, type | entry.mode(), PosixFiles.makedev(entry.devMajor(), entry.devMinor()));
                } catch (SyscallException e) {
                    if (!e.notPermitted()) {
                        throw e;
                    }
                    skippedDevices++;
                    warn("device " + name + " (" + entry.devMajor() + ":" + entry.devMinor()
                            + ") skipped: no privilege to create device files");
                    return;
                }
            }
            case DIRECTORY, HARD_LINK -> throw new IllegalStateException("handled above");
        }
        setMetadata(path, entry);
    }

    private void replace(Path path) throws IOException {
        if (LayerTarget.lstat(path) != null) {
            target.remove(path);
        }
    }

    /** Owner first, as chown(2) clears setuid, setgid and file capabilities; times last, as the rest moves ctime. */
    private void setMetadata(Path path, TarEntry entry) throws IOException {
        String name = entry.name();
        if (entry.uid() > MAX_ID || entry.gid() > MAX_ID) {
            throw new InvalidLayerException(name, "owner " + entry.uid() + ":" + entry.gid() + " is out of range");
        }
        PosixFiles.lchown(path, (int) entry.uid(), (int) entry.gid());
        if (entry.type() != TarType.SYMLINK) {
            Files.setAttribute(path, "unix:mode", entry.mode() & 07777);
        }
        for (var xattr : entry.xattrs().entrySet()) {
            if (xattr.getKey().startsWith(Overlay.XATTR_PREFIX)) {
                // A layer that set overlayfs's own attributes could redirect lookups into other layers.
                warn("extended attribute " + xattr.getKey() + " on " + name + " ignored: overlayfs's attributes come"
                        + " only from whiteout entries");
                continue;
            }
            setXattr(path, xattr.getKey(), xattr.getValue(), name);
        }
        Instant modified = entry.modified();
        if (entry.type() == TarType.DIRECTORY) {
            directoryTimes.put(path, modified); // set at the end: the entries below would move it again
        } else {
            setTimes(path, modified);
        }
    }

    private void setXattr(Path path, String attribute, byte[] value, String name) throws IOException {
        try {
            Xattrs.set(path, attribute, value);
        } catch (SyscallException e) {
            if (!e.notPermitted()) {
                throw new InvalidLayerException(
                        name, "cannot set extended attribute " + attribute + ": " + e.getMessage(), e);
            }
            warn("extended attribute " + attribute + " on " + name + " skipped: " + e.getMessage());
        }
    }

    private void setDirectoryTimes() throws IOException {
        for (Map.Entry<Path, Instant> directory : directoryTimes.entrySet()) {
            BasicFileAttributes now = LayerTarget.lstat(directory.getKey());
            if (now != null && now.isDirectory()) {
                setTimes(directory.getKey(), directory.getValue());
            }
        }
    }

    private static void setTimes(Path path, Instant modified) throws IOException {
        PosixFiles.setTimes(path, modified, modified);
    }

    private void warn(String warning) {
        if (warnings.size() < MAX_WARNINGS) {
            warnings.add(warning);
        } else {
            suppressedWarnings++;
        }
    }

    private static void requireEmptyDirectory(Path target) throws IOException {
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("layer target " + target + " is not a directory");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
            if (entries.iterator().hasNext()) {
                throw new IllegalArgumentException("layer target " + target + " is not empty");
            }
        }
    }

    private static String name(LayerCompression compression) {
        return switch (compression) {
            case NONE -> "uncompressed";
            case GZIP -> "gzip";
            case ZSTD -> "zstd";
        };
    }
}
