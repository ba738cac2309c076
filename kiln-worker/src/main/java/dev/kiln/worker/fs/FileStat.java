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
 * <p>The three times are kept as seconds and nanoseconds and handed out as {@link FileTime}s made when asked: a build
 * holds one of these for every file of a context it scans (twice over while a sync compares the context with its
 * copy). Kept as FileTimes (which hold an instant as well) they were 4 MB of the daemon's live heap at a 20,000-file
 * context's peak; as instants, 1.5 MB (issue 13's W6). Seconds and nanoseconds rather than one count of nanoseconds,
 * which a long holds only for the years 1678 to 2262, and an archive's files can say anything.
 *
 * @param permissions the low 12 bits of st_mode (permissions plus setuid, setgid, sticky)
 */
public record FileStat(
        FileType type,
        int permissions,
        int uid,
        int gid,
        long size,
        long modifiedSeconds,
        int modifiedNanos,
        long accessedSeconds,
        int accessedNanos,
        long changedSeconds,
        int changedNanos,
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
        Instant modified = stat.modified().toInstant();
        Instant accessed = stat.accessed().toInstant();
        Instant changed = stat.changed().toInstant();
        return new FileStat(
                FileType.ofMode(stat.mode()),
                stat.mode() & 07777,
                stat.uid(),
                stat.gid(),
                stat.size(),
                modified.getEpochSecond(),
                modified.getNano(),
                accessed.getEpochSecond(),
                accessed.getNano(),
                changed.getEpochSecond(),
                changed.getNano(),
                stat.inode(),
                stat.device(),
                stat.links(),
                stat.rdev());
    }

    /** st_mtime. */
    public FileTime modified() {
        return FileTime.from(Instant.ofEpochSecond(modifiedSeconds, modifiedNanos));
    }

    /** st_atime. */
    public FileTime accessed() {
        return FileTime.from(Instant.ofEpochSecond(accessedSeconds, accessedNanos));
    }

    /** st_ctime. */
    public FileTime changed() {
        return FileTime.from(Instant.ofEpochSecond(changedSeconds, changedNanos));
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
