package dev.kiln.engine.export;

import dev.kiln.core.sys.PosixFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a directory tree as a tar stream: entries in sorted order (so the same tree gives the
 * same bytes), with modes, owners, modification times, symlinks, hard links, device files and
 * FIFOs kept. Sockets have no place in a tar and are left out.
 */
final class TreeTar {

    private final TarArchiveOutputStream tar;
    /** Inode of each regular file already written, so a second link to it becomes a hard-link entry. */
    private final Map<Object, String> writtenInodes = new HashMap<>();

    private TreeTar(OutputStream out) {
        this.tar = new TarArchiveOutputStream(out, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    /** Writes {@code root}'s contents (not the root itself) to {@code out} and finishes the archive; {@code out} stays open. */
    static void write(Path root, OutputStream out) throws IOException {
        write(root, Map.of(), out);
    }

    /**
     * As {@link #write(Path, OutputStream)}, then {@code extra} files after the tree's: attestation statements,
     * owned by root, mode 0600, with the time each carries.
     */
    static void write(Path root, Map<String, ExtraFile> extra, OutputStream out) throws IOException {
        TreeTar writer = new TreeTar(out);
        writer.writeChildren(root, "");
        writer.writeExtra(extra, "");
        writer.tar.finish();
        writer.tar.flush();
    }

    /**
     * Writes each of {@code roots} as a top directory of its name (its own mode, owner and time) with its contents
     * below, in the map's order, and finishes the archive; {@code out} stays open.
     */
    static void write(java.util.SequencedMap<String, Path> roots, OutputStream out) throws IOException {
        write(roots, Map.of(), out);
    }

    /** As above, each top directory followed by the extra files {@code extras} has under its name. */
    static void write(
            java.util.SequencedMap<String, Path> roots, Map<String, Map<String, ExtraFile>> extras, OutputStream out)
            throws IOException {
        TreeTar writer = new TreeTar(out);
        for (Map.Entry<String, Path> root : roots.entrySet()) {
            writer.writeEntry(root.getValue(), root.getKey());
            writer.writeChildren(root.getValue(), root.getKey() + "/");
            writer.writeExtra(extras.getOrDefault(root.getKey(), Map.of()), root.getKey() + "/");
        }
        writer.tar.finish();
        writer.tar.flush();
    }

    /** A file that is not in the tree: its bytes and its modification time. */
    record ExtraFile(byte[] content, java.time.Instant time) {}

    private void writeExtra(Map<String, ExtraFile> extra, String prefix) throws IOException {
        for (Map.Entry<String, ExtraFile> file : new java.util.TreeMap<>(extra).entrySet()) {
            TarArchiveEntry entry = new TarArchiveEntry(prefix + file.getKey(), TarConstants.LF_NORMAL);
            entry.setMode(0600);
            entry.setUserId(0);
            entry.setGroupId(0);
            entry.setModTime(FileTime.from(file.getValue().time()));
            entry.setSize(file.getValue().content().length);
            tar.putArchiveEntry(entry);
            tar.write(file.getValue().content());
            tar.closeArchiveEntry();
        }
    }

    private void writeChildren(Path dir, String prefix) throws IOException {
        List<Path> children;
        try (Stream<Path> list = Files.list(dir)) {
            children = list.sorted().toList();
        }
        for (Path child : children) {
            String name = prefix + child.getFileName();
            writeEntry(child, name);
            if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                writeChildren(child, name + "/");
            }
        }
    }

    private void writeEntry(Path file, String name) throws IOException {
        Map<String, Object> attrs = Files.readAttributes(
                file, "unix:mode,uid,gid,lastModifiedTime,ino,dev,rdev,nlink,size", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) attrs.get("mode");
        int type = mode & 0170000;
        TarArchiveEntry entry;
        boolean withContent = false;
        switch (type) {
            case 0040000 -> entry = new TarArchiveEntry(name + "/", TarConstants.LF_DIR);
            case 0120000 -> {
                entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                entry.setLinkName(Files.readSymbolicLink(file).toString());
            }
            case 0100000 -> {
                Object inode = List.of(attrs.get("dev"), attrs.get("ino"));
                String firstName = (Integer) attrs.get("nlink") > 1 ? writtenInodes.putIfAbsent(inode, name) : null;
                if (firstName != null) {
                    entry = new TarArchiveEntry(name, TarConstants.LF_LINK);
                    entry.setLinkName(firstName);
                } else {
                    entry = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
                    entry.setSize((Long) attrs.get("size"));
                    withContent = true;
                }
            }
            case 0020000, 0060000 -> {
                entry = new TarArchiveEntry(name, type == 0020000 ? TarConstants.LF_CHR : TarConstants.LF_BLK);
                long rdev = (Long) attrs.get("rdev");
                entry.setDevMajor((int) PosixFiles.major(rdev));
                entry.setDevMinor((int) PosixFiles.minor(rdev));
            }
            case 0010000 -> entry = new TarArchiveEntry(name, TarConstants.LF_FIFO);
            default -> {
                return;
            }
        }
        entry.setMode(mode & 07777);
        entry.setUserId((Integer) attrs.get("uid"));
        entry.setGroupId((Integer) attrs.get("gid"));
        entry.setModTime((FileTime) attrs.get("lastModifiedTime"));
        tar.putArchiveEntry(entry);
        if (withContent) {
            Files.copy(file, tar);
        }
        tar.closeArchiveEntry();
    }
}
