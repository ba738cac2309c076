package dev.kiln.gateway;

import java.util.Arrays;
import java.util.Map;

/**
 * A file's metadata as BuildKit's fsutil reports it. {@code mode} is a Go {@code os.FileMode}: the
 * permission bits plus Go's type bits ({@link #MODE_DIR}, {@link #MODE_SYMLINK}, ...), so that it
 * means the same on the wire as it does for Go frontends.
 *
 * @param modTime modification time in nanoseconds since the epoch
 */
public record Stat(
        String path,
        int mode,
        int uid,
        int gid,
        long size,
        long modTime,
        String linkname,
        long devmajor,
        long devminor,
        Map<String, byte[]> xattrs) {

    public static final int MODE_DIR = 1 << 31;
    public static final int MODE_SYMLINK = 1 << 27;
    public static final int MODE_DEVICE = 1 << 26;
    public static final int MODE_NAMED_PIPE = 1 << 25;
    public static final int MODE_SOCKET = 1 << 24;
    public static final int MODE_SETUID = 1 << 23;
    public static final int MODE_SETGID = 1 << 22;
    public static final int MODE_CHAR_DEVICE = 1 << 21;
    public static final int MODE_STICKY = 1 << 20;

    public Stat {
        linkname = linkname == null ? "" : linkname;
        xattrs = Map.copyOf(xattrs == null ? Map.of() : xattrs);
    }

    public boolean isDir() {
        return (mode & MODE_DIR) != 0;
    }

    public boolean isSymlink() {
        return (mode & MODE_SYMLINK) != 0;
    }

    public boolean isRegularFile() {
        return (mode & (MODE_DIR | MODE_SYMLINK | MODE_DEVICE | MODE_NAMED_PIPE | MODE_SOCKET | MODE_CHAR_DEVICE)) == 0;
    }

    /** The nine rwx permission bits. */
    public int permissions() {
        return mode & 0777;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Stat s
                && path.equals(s.path)
                && mode == s.mode
                && uid == s.uid
                && gid == s.gid
                && size == s.size
                && modTime == s.modTime
                && linkname.equals(s.linkname)
                && devmajor == s.devmajor
                && devminor == s.devminor
                && xattrs.keySet().equals(s.xattrs.keySet())
                && xattrs.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), s.xattrs.get(e.getKey())));
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(path, mode, uid, gid, size, modTime, linkname);
    }
}
