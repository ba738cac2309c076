package dev.kiln.worker.fs;

import dev.kiln.core.GoPath;
import dev.kiln.core.Trees;
import dev.kiln.core.sys.PosixFiles;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarUtils;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZUtils;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdUtils;

/**
 * Docker's ADD of a local archive: a file that is a tar stream (plain, gzip, bzip2, xz or zstd) is extracted
 * into a directory instead of being copied. Members are placed as if the directory were a chroot: absolute names
 * start at it, symlinks extracted earlier are followed inside it, and a member (or hard link target) whose name
 * climbs out of it with ".." is an error.
 */
final class ArchiveUnpack {

    private static final String XATTR_PREFIX = "SCHILY.xattr.";

    private ArchiveUnpack() {}

    private enum Compression {
        NONE,
        GZIP,
        BZIP2,
        XZ,
        ZSTD
    }

    /** Whether the file is a regular file whose (decompressed) start is a valid tar header. */
    static boolean isArchive(Path file, String fileName) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (InputStream in = open(file, fileName)) {
            byte[] header = in.readNBytes(512);
            if (header.length < 512 || allZero(header)) {
                return false;
            }
            return TarUtils.verifyCheckSum(header);
        } catch (MissingCodec e) {
            throw e.original;
        } catch (IOException e) {
            // Not a compressed stream after all (a .gz-looking text file, say): it is copied as a plain file.
            return false;
        }
    }

    /**
     * Extracts the archive into {@code dir}, which must exist. {@code owner} replaces every member's uid/gid when
     * given. Returns the number of members written. {@code archiveName} names the archive in errors.
     */
    static int extract(Path archive, String archiveName, Path dir, Owner owner) throws IOException {
        ScopedRoot scope = new ScopedRoot(dir);
        List<DirectoryTimes> directories = new ArrayList<>();
        int written = 0;
        try (InputStream in = open(archive, archiveName);
                TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                String name = memberName(entry.getName(), entry.getName(), archiveName);
                if (name.equals("/")) {
                    continue;
                }
                Path parent = scope.resolve(GoPath.dir(name));
                Directories.mkdirAll(scope, parent, 0755, null, null);
                Path target = parent.resolve(GoPath.base(name));
                FileStat existing = FileStat.ofIfExists(target).orElse(null);
                if (existing != null && !(existing.isDirectory() && entry.isDirectory())) {
                    Trees.deleteRecursively(target);
                }
                if (entry.isDirectory()) {
                    if (existing == null || !existing.isDirectory()) {
                        Files.createDirectory(target);
                    }
                } else if (entry.isSymbolicLink()) {
                    if (entry.getLinkName().isEmpty()) {
                        throw new FsException("unpack", archiveName, "symlink member " + name + " has an empty target");
                    }
                    requireTargetInside(name, entry.getLinkName(), archiveName);
                    Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
                } else if (entry.isLink()) {
                    String linkName = memberName(entry.getLinkName(), entry.getName(), archiveName);
                    Files.createLink(target, scope.resolveParent(linkName));
                    written++;
                    continue;
                } else if (entry.isFile()) {
                    Files.copy(tar, target);
                } else if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
                    FileType type = entry.isCharacterDevice()
                            ? FileType.CHAR_DEVICE
                            : entry.isBlockDevice() ? FileType.BLOCK_DEVICE : FileType.FIFO;
                    PosixFiles.mknod(
                            target,
                            TreeCopy.typeBits(type),
                            PosixFiles.makedev(entry.getDevMajor(), entry.getDevMinor()));
                } else {
                    throw new FsException("unpack", archiveName, "member " + name + " has an unsupported type");
                }
                applyMetadata(entry, target, owner);
                FileTime modified = entry.getLastModifiedTime();
                FileTime accessed = entry.getLastAccessTime() != null ? entry.getLastAccessTime() : modified;
                if (entry.isDirectory()) {
                    directories.add(new DirectoryTimes(target, accessed, modified));
                } else {
                    Metadata.setTimes(target, accessed, modified);
                }
                written++;
            }
        } catch (MissingCodec e) {
            throw e.original;
        }
        // Directory times last, innermost first: extracting into a directory changes its mtime.
        for (DirectoryTimes d : directories.reversed()) {
            Metadata.setTimes(d.path(), d.accessed(), d.modified());
        }
        return written;
    }

    private record DirectoryTimes(Path path, FileTime accessed, FileTime modified) {}

    /** A member name as a path under the extraction directory; ".." that climbs out is an error. */
    private static String memberName(String raw, String member, String archiveName) throws FsException {
        String cleaned = GoPath.clean(raw);
        if (cleaned.equals("..") || cleaned.startsWith("../")) {
            throw new FsException(
                    "unpack",
                    archiveName,
                    "archive member " + member + (raw.equals(member) ? "" : " (link to " + raw + ")")
                            + " points outside the destination");
        }
        return GoPath.absolute(cleaned);
    }

    /**
     * A relative symlink member whose ".." climbs out of the extraction directory is refused, as Docker's and
     * BuildKit's untar refuse it (a breakout): resolution would keep later members inside, but the archive was
     * made to reach outside. An absolute target is read inside the directory and is kept.
     */
    private static void requireTargetInside(String name, String linkName, String archiveName) throws FsException {
        if (linkName.startsWith("/")) {
            return;
        }
        String target = GoPath.clean("." + GoPath.dir(name) + "/" + linkName);
        if (target.equals("..") || target.startsWith("../")) {
            throw new FsException(
                    "unpack",
                    archiveName,
                    "archive member " + name + " (symlink to " + linkName + ") points outside the destination");
        }
    }

    private static void applyMetadata(TarArchiveEntry entry, Path target, Owner owner) throws IOException {
        Owner effective = owner != null ? owner : new Owner((int) entry.getLongUserId(), (int) entry.getLongGroupId());
        Metadata.chown(target, effective);
        if (!entry.isSymbolicLink()) {
            Metadata.chmod(target, entry.getMode() & 07777);
            // Only "user." attributes: commons-compress decodes PAX values as UTF-8 text, which would corrupt binary
            // ones such as security.capability.
            for (Map.Entry<String, String> pax : entry.getExtraPaxHeaders().entrySet()) {
                if (pax.getKey().startsWith(XATTR_PREFIX + "user.")) {
                    Metadata.setXattr(
                            target,
                            pax.getKey().substring(XATTR_PREFIX.length()),
                            pax.getValue().getBytes(StandardCharsets.UTF_8));
                }
            }
        }
    }

    private static InputStream open(Path file, String fileName) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
        try {
            raw.mark(8);
            byte[] magic = raw.readNBytes(6);
            raw.reset();
            return switch (detect(magic)) {
                case NONE -> raw;
                case GZIP ->
                    GzipCompressorInputStream.builder()
                            .setInputStream(raw)
                            .setDecompressConcatenated(true)
                            .get();
                case BZIP2 -> new BZip2CompressorInputStream(raw, true);
                case XZ -> {
                    if (!XZUtils.isXZCompressionAvailable()) {
                        throw new MissingCodec(fileName, "xz", "org.tukaani:xz");
                    }
                    yield XZCompressorInputStream.builder()
                            .setInputStream(raw)
                            .setDecompressConcatenated(true)
                            .get();
                }
                case ZSTD -> {
                    if (!ZstdUtils.isZstdCompressionAvailable()) {
                        throw new MissingCodec(fileName, "zstd", "com.github.luben:zstd-jni");
                    }
                    yield new ZstdCompressorInputStream(raw);
                }
            };
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static Compression detect(byte[] m) {
        if (m.length >= 2 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b) {
            return Compression.GZIP;
        }
        if (m.length >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') {
            return Compression.BZIP2;
        }
        if (m.length >= 6 && Arrays.equals(m, 0, 6, new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}, 0, 6)) {
            return Compression.XZ;
        }
        if (m.length >= 4
                && (m[0] & 0xff) == 0x28
                && (m[1] & 0xff) == 0xb5
                && (m[2] & 0xff) == 0x2f
                && (m[3] & 0xff) == 0xfd) {
            return Compression.ZSTD;
        }
        return Compression.NONE;
    }

    private static boolean allZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** A compression this JVM cannot read; carried through the "not an archive" fallback as a real error. */
    private static final class MissingCodec extends IOException {
        final FsException original;

        MissingCodec(String fileName, String format, String artifact) {
            super(format);
            this.original = new FsException(
                    "unpack",
                    fileName,
                    "the archive is " + format + "-compressed, but " + artifact + " is not on the class path");
        }
    }
}
