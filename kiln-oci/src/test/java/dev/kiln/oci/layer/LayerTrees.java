package dev.kiln.oci.layer;

import dev.kiln.core.Digest;
import dev.kiln.core.Overlay;
import dev.kiln.core.Sha256;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.Xattrs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/** Builds layer directories for tests and describes trees so two can be compared entry by entry. */
final class LayerTrees {
    static final Instant OLD = Instant.parse("2001-02-03T04:05:06Z");
    static final byte[] CAPABILITY = HexFormat.of().parseHex("0100000280200000000000000000000000000000");

    private LayerTrees() {}

    /** How a test tree marks deletions: overlayfs's way (Kiln's layer directories), AUFS files, or not at all. */
    enum Markers {
        OVERLAY,
        AUFS_FILES,
        NONE
    }

    /** A layer directory in Kiln's own (overlayfs) format. */
    static void populate(Path root) throws IOException {
        populate(root, Markers.OVERLAY);
    }

    /**
     * A layer with one of everything a layer can hold: setuid/setgid/sticky modes, owners (one beyond ustar's
     * range), symlinks, hard links, a FIFO, devices, a whiteout of etc/removed and an opaque var/cache (as
     * {@code markers} says), binary and text xattrs, long and non-ASCII names, a file before 1970, a few megabytes of
     * incompressible data. Every entry's mtime depends on its path alone.
     */
    static void populate(Path root, Markers markers) throws IOException {
        dir(root, "bin", 0755, 0, 0);
        file(root, "bin/tool", "tool", 04755, 0, 0);
        file(root, "bin/group-tool", "group tool", 02750, 0, 50);
        file(root, "bin/ping", "ping", 0755, 0, 0);
        Xattrs.set(root.resolve("bin/ping"), "security.capability", CAPABILITY);
        dir(root, "tmp", 01777, 0, 0);
        dir(root, "home", 0755, 0, 0);
        Xattrs.set(root.resolve("home"), "user.note", "homes".getBytes(StandardCharsets.UTF_8));
        dir(root, "home/user", 0700, 1000, 1000);
        file(root, "home/user/notes.txt", "notes\n", 0640, 1000, 1000);
        file(root, "home/user/empty", "", 0600, 1000, 1000);
        dir(root, "home/user/empty-dir", 0750, 1000, 1000);
        dir(root, "usr", 0755, 0, 0);
        dir(root, "usr/lib", 0755, 0, 0);
        file(root, "usr/lib/libx.so", "library", 0644, 0, 0);
        Xattrs.set(root.resolve("usr/lib/libx.so"), "user.mime", "application/x-sharedlib".getBytes());
        Xattrs.set(root.resolve("usr/lib/libx.so"), "trusted.kiln", new byte[] {0, 1, (byte) 0xff});
        Files.createLink(root.resolve("usr/lib/libx.so.1"), root.resolve("usr/lib/libx.so"));
        Files.createLink(root.resolve("bin/libx-link"), root.resolve("usr/lib/libx.so"));
        symlink(root, "lib", "usr/lib", 1000, 1000);
        symlink(root, "passwd-link", "/etc/passwd", 0, 0);
        dir(root, "run", 0755, 0, 0);
        PosixFiles.mknod(root.resolve("run/pipe"), PosixFiles.S_IFIFO | 0620, 0);
        dir(root, "dev", 0755, 0, 0);
        PosixFiles.mknod(root.resolve("dev/null"), PosixFiles.S_IFCHR | 0666, PosixFiles.makedev(1, 3));
        PosixFiles.mknod(root.resolve("dev/loop0"), PosixFiles.S_IFBLK | 0660, PosixFiles.makedev(7, 0));
        Files.setAttribute(root.resolve("dev/loop0"), "unix:gid", 6);
        dir(root, "etc", 0755, 0, 0);
        dir(root, "var", 0755, 0, 0);
        dir(root, "var/cache", 0755, 0, 0);
        file(root, "var/cache/fresh.txt", "fresh", 0644, 0, 0);
        switch (markers) {
            case OVERLAY -> {
                PosixFiles.mknod(root.resolve("etc/removed"), PosixFiles.S_IFCHR, 0);
                Xattrs.set(root.resolve("var/cache"), Overlay.OPAQUE_XATTR, Overlay.opaqueValue());
            }
            case AUFS_FILES -> {
                file(root, "etc/.wh.removed", "", 0644, 0, 0);
                file(root, "var/cache/.wh..wh..opq", "", 0644, 0, 0);
            }
            case NONE -> {}
        }
        String longDir = "d".repeat(120);
        dir(root, longDir, 0755, 0, 0);
        file(root, longDir + "/" + "f".repeat(200), "long name", 0644, 0, 0);
        dir(root, "unicode", 0755, 0, 0);
        file(root, "unicode/Grüße-日本.txt", "utf-8", 0644, 0, 0);
        file(root, "bigids", "big ids", 0644, 3_000_000, 3_000_001);
        file(root, "ancient", "before 1970", 0644, 0, 0);
        byte[] noise = new byte[3 << 20];
        new Random(42).nextBytes(noise);
        Files.write(root.resolve("noise.bin"), noise);
        setTimes(root);
        time(root.resolve("ancient"), Instant.parse("1969-07-20T20:17:40Z"));
        for (String whiteout : new String[] {"etc/removed", "etc/.wh.removed"}) {
            if (Files.exists(root.resolve(whiteout), LinkOption.NOFOLLOW_LINKS)) {
                time(root.resolve(whiteout), WHITEOUT_TIME);
            }
        }
    }

    static final Instant WHITEOUT_TIME = Instant.parse("2011-11-11T11:11:11Z");

    static void dir(Path root, String name, int mode, int uid, int gid) throws IOException {
        Path path = root.resolve(name);
        Files.createDirectory(path);
        own(path, mode, uid, gid);
    }

    static void file(Path root, String name, String content, int mode, int uid, int gid) throws IOException {
        Path path = root.resolve(name);
        Files.writeString(path, content);
        own(path, mode, uid, gid);
    }

    static void symlink(Path root, String name, String target, int uid, int gid) throws IOException {
        Path path = root.resolve(name);
        Files.createSymbolicLink(path, Path.of(target));
        PosixFiles.lchown(path, uid, gid);
    }

    private static void own(Path path, int mode, int uid, int gid) throws IOException {
        PosixFiles.lchown(path, uid, gid);
        Files.setAttribute(path, "unix:mode", mode);
    }

    /** Gives every entry under {@code root} a whole-second mtime that depends only on its path. */
    static void setTimes(Path root) throws IOException {
        List<Path> paths = new ArrayList<>();
        collect(root, paths);
        for (Path path : paths) {
            time(
                    path,
                    OLD.plusSeconds(
                            60L * Math.floorMod(root.relativize(path).toString().hashCode(), 500_000)));
        }
    }

    static void time(Path path, Instant modified) throws IOException {
        PosixFiles.setTimes(path, modified, modified);
    }

    private static void collect(Path directory, List<Path> out) throws IOException {
        for (String name : names(directory)) {
            Path path = directory.resolve(name);
            out.add(path);
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                collect(path, out);
            }
        }
    }

    /**
     * One line per entry below {@code root}: type, mode, owner, mtime in whole seconds, then what the type has
     * (content digest, link target, device numbers), the extended attributes, and for hard links the first path of
     * the inode, so two trees compare as maps.
     */
    static SortedMap<String, String> describe(Path root) throws IOException {
        SortedMap<String, String> out = new TreeMap<>();
        describe(root, root, out, new HashMap<>());
        return out;
    }

    private static void describe(Path root, Path directory, SortedMap<String, String> out, Map<Object, String> inodes)
            throws IOException {
        for (String name : names(directory)) {
            Path path = directory.resolve(name);
            String relative = root.relativize(path).toString();
            Map<String, Object> a = Files.readAttributes(
                    path, "unix:mode,uid,gid,size,rdev,nlink,ino,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
            int mode = (int) a.get("mode");
            int type = mode & PosixFiles.S_IFMT;
            StringBuilder line = new StringBuilder();
            line.append(
                    switch (type) {
                        case PosixFiles.S_IFDIR -> "dir";
                        case PosixFiles.S_IFREG -> "file";
                        case PosixFiles.S_IFLNK -> "symlink";
                        case PosixFiles.S_IFIFO -> "fifo";
                        case PosixFiles.S_IFCHR -> "char";
                        case PosixFiles.S_IFBLK -> "block";
                        default -> "other";
                    });
            if (type != PosixFiles.S_IFLNK) {
                line.append(' ').append(Integer.toOctalString(mode & 07777));
            }
            line.append(' ')
                    .append(Integer.toUnsignedString((int) a.get("uid")))
                    .append(':')
                    .append(Integer.toUnsignedString((int) a.get("gid")));
            line.append(" mtime=")
                    .append(((FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond());
            switch (type) {
                case PosixFiles.S_IFREG ->
                    line.append(" size=")
                            .append(a.get("size"))
                            .append(" sha256=")
                            .append(sha(path));
                case PosixFiles.S_IFLNK -> line.append(" -> ").append(Files.readSymbolicLink(path));
                case PosixFiles.S_IFCHR, PosixFiles.S_IFBLK -> {
                    long rdev = (long) a.get("rdev");
                    line.append(' ').append(PosixFiles.major(rdev)).append(':').append(PosixFiles.minor(rdev));
                }
                default -> {}
            }
            for (String attribute : Xattrs.list(path).stream().sorted().toList()) {
                line.append(' ')
                        .append(attribute)
                        .append('=')
                        .append(HexFormat.of()
                                .formatHex(Xattrs.get(path, attribute).orElseThrow()));
            }
            if (type != PosixFiles.S_IFDIR && (int) a.get("nlink") > 1) {
                String first = inodes.putIfAbsent(a.get("ino"), relative);
                line.append(" inode-of=").append(first == null ? relative : first);
            }
            out.put(relative, line.toString());
            if (type == PosixFiles.S_IFDIR) {
                describe(root, path, out, inodes);
            }
        }
    }

    static List<String> names(Path directory) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                names.add(entry.getFileName().toString());
            }
        }
        names.sort(null);
        return names;
    }

    static String sha(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = Sha256.engine();
            byte[] buffer = new byte[65536];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        }
    }

    static String sha(byte[] data) {
        return Digest.sha256(data).toString();
    }
}
