package dev.kiln.worker.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Optional;

/**
 * What lstat(2) says about one path. Read with a single "unix:" attribute call that names its attributes, so the
 * JDK neither follows the link nor looks up user names.
 *
 * @param permissions the low 12 bits of st_mode (permissions plus setuid, setgid, sticky)
 */
public record FileStat(
        FileType type,
        int permissions,
        int uid,
        int gid,
        long size,
        FileTime modified,
        FileTime accessed,
        FileTime changed,
        long inode,
        long device,
        int links,
        long rdev) {

    private static final String ATTRIBUTES =
            "unix:mode,uid,gid,size,lastModifiedTime,lastAccessTime,ctime,ino,dev,nlink,rdev";

    /** lstat of a path that must exist. */
    public static FileStat of(Path path) throws IOException {
        Map<String, Object> a = Files.readAttributes(path, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        return new FileStat(
                FileType.ofMode(mode),
                mode & 07777,
                (Integer) a.get("uid"),
                (Integer) a.get("gid"),
                (Long) a.get("size"),
                (FileTime) a.get("lastModifiedTime"),
                (FileTime) a.get("lastAccessTime"),
                (FileTime) a.get("ctime"),
                (Long) a.get("ino"),
                (Long) a.get("dev"),
                (Integer) a.get("nlink"),
                (Long) a.get("rdev"));
    }

    /** lstat of a path that may be missing. */
    public static Optional<FileStat> ofIfExists(Path path) throws IOException {
        try {
            return Optional.of(of(path));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
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
