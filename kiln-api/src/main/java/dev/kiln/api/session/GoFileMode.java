package dev.kiln.api.session;

import dev.kiln.api.fsutil.Stat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

/**
 * fsutil's Stat.mode is Go's os.FileMode, not st_mode: the type is one high bit each (dir, symlink, device,
 * ...) and setuid/setgid/sticky are high bits too; only the permission bits 0777 are where Unix has them.
 * This class converts both ways and reads a file's Stat the way fsutil's mkstat does.
 */
final class GoFileMode {

    static final int DIR = 1 << 31;
    static final int SYMLINK = 1 << 27;
    static final int DEVICE = 1 << 26;
    static final int NAMED_PIPE = 1 << 25;
    static final int SOCKET = 1 << 24;
    static final int SETUID = 1 << 23;
    static final int SETGID = 1 << 22;
    static final int CHAR_DEVICE = 1 << 21;
    static final int STICKY = 1 << 20;
    static final int IRREGULAR = 1 << 19;
    /** Go's ModeType: a regular file has none of these bits. */
    static final int TYPE = DIR | SYMLINK | NAMED_PIPE | SOCKET | DEVICE | CHAR_DEVICE | IRREGULAR;

    private static final int S_IFMT = 0170000;

    private GoFileMode() {}

    /** Go's FileMode of a Unix st_mode (os.fillFileStatFromSys). */
    static int fromUnix(int st) {
        int mode = st & 0777;
        switch (st & S_IFMT) {
            case 0060000 -> mode |= DEVICE;
            case 0020000 -> mode |= DEVICE | CHAR_DEVICE;
            case 0040000 -> mode |= DIR;
            case 0010000 -> mode |= NAMED_PIPE;
            case 0120000 -> mode |= SYMLINK;
            case 0140000 -> mode |= SOCKET;
            default -> {}
        }
        if ((st & 04000) != 0) {
            mode |= SETUID;
        }
        if ((st & 02000) != 0) {
            mode |= SETGID;
        }
        if ((st & 01000) != 0) {
            mode |= STICKY;
        }
        return mode;
    }

    /** The chmod(2) bits of a Go FileMode: permissions plus setuid, setgid and sticky. */
    static int unixPermissions(int goMode) {
        int bits = goMode & 0777;
        if ((goMode & SETUID) != 0) {
            bits |= 04000;
        }
        if ((goMode & SETGID) != 0) {
            bits |= 02000;
        }
        if ((goMode & STICKY) != 0) {
            bits |= 01000;
        }
        return bits;
    }

    static boolean isDir(int goMode) {
        return (goMode & DIR) != 0;
    }

    static boolean isSymlink(int goMode) {
        return (goMode & SYMLINK) != 0;
    }

    /** Whether fsutil lets the receiver ask for the content (fileCanRequestData): no type bit at all. */
    static boolean isRegular(int goMode) {
        return (goMode & TYPE) == 0;
    }

    /** The lstat of a file, as read here. */
    record LocalStat(Stat stat, long inode, long device, int nlink) {}

    /**
     * The Stat fsutil would send for {@code file} at {@code relative} (without xattrs and without hard link
     * detection, which the walk does). Like fsutil, the socket bit is dropped.
     */
    static LocalStat lstat(Path file, String relative) throws IOException {
        Map<String, Object> a = Files.readAttributes(
                file, "unix:mode,ino,dev,rdev,nlink,uid,gid,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        int st = (Integer) a.get("mode");
        int mode = fromUnix(st) & ~SOCKET;
        Stat.Builder b = Stat.newBuilder()
                .setPath(relative)
                .setMode(mode)
                .setUid((Integer) a.get("uid"))
                .setGid((Integer) a.get("gid"))
                .setModTime(nanos((FileTime) a.get("lastModifiedTime")));
        if (!isDir(mode)) {
            b.setSize((Long) a.get("size"));
            if (isSymlink(mode)) {
                b.setLinkname(Files.readSymbolicLink(file).toString());
            }
            int type = st & S_IFMT;
            if (type == 0060000 || type == 0020000) {
                long rdev = (Long) a.get("rdev");
                b.setDevmajor((rdev >> 8) & 0xfff);
                b.setDevminor((rdev & 0xff) | ((rdev >> 12) & 0xfff00));
            }
        }
        return new LocalStat(b.build(), (Long) a.get("ino"), (Long) a.get("dev"), (Integer) a.get("nlink"));
    }

    static long nanos(FileTime t) {
        Instant i = t.toInstant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    static FileTime time(long nanos) {
        return FileTime.from(
                Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L)));
    }

    /** Orders names the way Go compares strings (by UTF-8 bytes), which is fsutil's walk order. */
    static int compareNames(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
