package dev.kiln.worker.fs;

import dev.kiln.core.sys.Lstat;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;

/**
 * What lstat(2) says about one path, in the worker's terms (a {@link FileType} and the permission bits apart), read
 * with one statx(2) call ({@link Lstat}).
 *
 * <p>The three times are kept as instants and handed out as {@link FileTime}s: a FileTime made from an instant keeps
 * both, 56 bytes a time against 24, and a build holds one of these for every file of a context it scans (twice over
 * while a sync compares the context with its copy), so the FileTimes were 4 MB of the daemon's live heap at a
 * 20,000-file context's peak.
 *
 * @param permissions the low 12 bits of st_mode (permissions plus setuid, setgid, sticky)
 */
public record FileStat(
        FileType type,
        int permissions,
        int uid,
        int gid,
        long size,
        Instant modifiedAt,
        Instant accessedAt,
        Instant changedAt,
        long inode,
        long device,
        int links,
        long rdev) {

    /**
     * Whether this is overlayfs's mark of a deleted file, a character device 0/0, which an overlay mount hides and a
     * layer's own directory shows.
     */
    public boolean isWhiteout() {
        return type == FileType.CHAR_DEVICE && rdev == 0;
    }

    /** lstat of a path that must exist. */
    public static FileStat of(Path path) throws IOException {
        return of(Lstat.of(path));
    }

    /** lstat of a path that may be missing (no exception is made for a missing one: copies ask this a lot). */
    public static Optional<FileStat> ofIfExists(Path path) throws IOException {
        Lstat stat = Lstat.ofIfExists(path);
        return stat == null ? Optional.empty() : Optional.of(of(stat));
    }

    private static FileStat of(Lstat stat) {
        return new FileStat(
                FileType.ofMode(stat.mode()),
                stat.mode() & 07777,
                stat.uid(),
                stat.gid(),
                stat.size(),
                stat.modified().toInstant(),
                stat.accessed().toInstant(),
                stat.changed().toInstant(),
                stat.inode(),
                stat.device(),
                stat.links(),
                stat.rdev());
    }

    /** st_mtime. */
    public FileTime modified() {
        return FileTime.from(modifiedAt);
    }

    /** st_atime. */
    public FileTime accessed() {
        return FileTime.from(accessedAt);
    }

    /** st_ctime. */
    public FileTime changed() {
        return FileTime.from(changedAt);
    }

    public boolean isDirectory() {
        return type == FileType.DIRECTORY;
    }

    public boolean isRegularFile() {
        return type == FileType.REGULAR;
    }

    public boolean isSymlink() {
        return type == FileType.SYMLINK;
    }

    public boolean isDevice() {
        return type == FileType.CHAR_DEVICE || type == FileType.BLOCK_DEVICE;
    }

    /** st_mode: the type bits and the permission bits. */
    public int mode() {
        return type.modeBits() | permissions;
    }

    /** Both names are the same inode (a hard link, or the same path). */
    public boolean sameInode(FileStat other) {
        return device == other.device && inode == other.inode;
    }

    /** A regular file that shares its inode with other names, so a copy should keep them linked. */
    public boolean isHardLinked() {
        return type == FileType.REGULAR && links > 1;
    }
}
