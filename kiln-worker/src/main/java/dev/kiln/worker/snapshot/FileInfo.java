package dev.kiln.worker.snapshot;

import dev.kiln.core.sys.PosixFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/** What lstat(2) says about one directory entry. */
record FileInfo(
        int mode,
        int uid,
        int gid,
        long size,
        long rdev,
        long dev,
        long inode,
        int links,
        FileTime accessed,
        FileTime modified) {
    private static final String ATTRIBUTES =
            "unix:mode,uid,gid,size,rdev,dev,ino,nlink,lastAccessTime,lastModifiedTime";

    static FileInfo of(Path path) throws IOException {
        Map<String, Object> a = Files.readAttributes(path, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
        return new FileInfo(
                (int) a.get("mode"),
                (int) a.get("uid"),
                (int) a.get("gid"),
                (long) a.get("size"),
                (long) a.get("rdev"),
                (long) a.get("dev"),
                (long) a.get("ino"),
                (int) a.get("nlink"),
                (FileTime) a.get("lastAccessTime"),
                (FileTime) a.get("lastModifiedTime"));
    }

    /** Null when nothing is at {@code path}. */
    static FileInfo ofNullable(Path path) throws IOException {
        try {
            return of(path);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    int type() {
        return mode & PosixFiles.S_IFMT;
    }

    int permissions() {
        return mode & 07777;
    }

    boolean isDirectory() {
        return type() == PosixFiles.S_IFDIR;
    }

    boolean isRegularFile() {
        return type() == PosixFiles.S_IFREG;
    }

    boolean isSymlink() {
        return type() == PosixFiles.S_IFLNK;
    }

    boolean isDevice() {
        return type() == PosixFiles.S_IFCHR || type() == PosixFiles.S_IFBLK;
    }

    boolean sameInode(FileInfo other) {
        return dev == other.dev && inode == other.inode;
    }
}
