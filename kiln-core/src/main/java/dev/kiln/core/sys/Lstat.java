package dev.kiln.core.sys;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

/**
 * What lstat(2) says about a path, read with one statx(2) call. The JDK's {@code Files.readAttributes(path,
 * "unix:...")} makes the same system call but builds a map of boxed values around it: about 5 µs a file against 2
 * µs here, and a build walks every file of a context several times (sync, checksum, copy, layer export), so on a
 * 20,000-file context that was a fifth of the daemon's Java time. statx's buffer has one layout on every
 * architecture, where struct stat's differs. Where the kernel has no statx (ENOSYS), the JDK's way serves.
 */
public record Lstat(
        int mode,
        int uid,
        int gid,
        long size,
        FileTime accessed,
        FileTime modified,
        FileTime changed,
        long inode,
        long device,
        int links,
        long rdev) {

    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    /** STATX_BASIC_STATS: type, mode, links, ids, times, inode, size, blocks. */
    private static final int BASIC_STATS = 0x7ff;

    private static final int BUFFER_SIZE = 256;
    private static final String JDK_ATTRIBUTES =
            "unix:mode,uid,gid,size,lastAccessTime,lastModifiedTime,ctime,ino,dev,nlink,rdev";

    private static final MethodHandle STATX = Libc.capturingErrno(
            "statx", FunctionDescriptor.of(Libc.INT, Libc.INT, Libc.POINTER, Libc.INT, Libc.INT, Libc.POINTER));

    /** Cleared when the kernel answers ENOSYS: every later call goes the JDK's way at once. */
    private static volatile boolean statxWorks = true;

    /** The path itself, a symlink not followed; a missing path is a {@link NoSuchFileException}, as in the JDK. */
    public static Lstat of(Path path) throws IOException {
        if (statxWorks) {
            Lstat stat = statx(path);
            if (stat != null) {
                return stat;
            }
        }
        return viaJdk(path);
    }

    /**
     * The path itself, or null when it is missing (ENOENT, or ENOTDIR for a file where a directory was named). A copy
     * asks this of every target path it may replace, and most are missing: answering without an exception saves the
     * stack trace a {@link NoSuchFileException} would fill in each time.
     */
    public static Lstat ofIfExists(Path path) throws IOException {
        if (statxWorks) {
            Answer answer = statxAnswer(path.toString());
            if (answer.errno() == SyscallException.ENOENT || answer.errno() == SyscallException.ENOTDIR) {
                return null;
            }
            if (answer.errno() != SyscallException.ENOSYS) {
                return answer.orThrow(path.toString());
            }
            statxWorks = false;
        }
        try {
            return viaJdk(path);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The type bits of {@link #mode()} (S_IFREG, S_IFDIR, ...). */
    public int type() {
        return mode & PosixFiles.S_IFMT;
    }

    /** statx's answer, or null when this kernel has none. */
    private static Lstat statx(Path path) throws IOException {
        String name = path.toString();
        Answer answer = statxAnswer(name);
        if (answer.errno() == SyscallException.ENOSYS) {
            statxWorks = false;
            return null;
        }
        return answer.orThrow(name);
    }

    private static Answer statxAnswer(String name) throws IOException {
        return Libc.call((arena, state) -> {
            MemorySegment buffer = arena.allocate(BUFFER_SIZE, 8);
            int rc = (int) STATX.invokeExact(
                    state, AT_FDCWD, arena.allocateFrom(name), AT_SYMLINK_NOFOLLOW, BASIC_STATS, buffer);
            return rc == 0 ? new Answer(read(buffer), 0) : new Answer(null, Libc.errno(state));
        });
    }

    /** One statx(2) call's outcome: the stat, or the errno it failed with. */
    private record Answer(Lstat stat, int errno) {
        Lstat orThrow(String name) throws IOException {
            if (errno != 0) {
                throw failure(name, errno);
            }
            return stat;
        }
    }

    /** struct statx, as linux/stat.h lays it out. */
    private static Lstat read(MemorySegment buffer) {
        return new Lstat(
                Short.toUnsignedInt(buffer.get(Libc.SHORT, 28)),
                buffer.get(Libc.INT, 20),
                buffer.get(Libc.INT, 24),
                buffer.get(Libc.LONG, 40),
                time(buffer, 64),
                time(buffer, 112),
                time(buffer, 96),
                buffer.get(Libc.LONG, 32),
                PosixFiles.makedev(
                        Integer.toUnsignedLong(buffer.get(Libc.INT, 136)),
                        Integer.toUnsignedLong(buffer.get(Libc.INT, 140))),
                buffer.get(Libc.INT, 16),
                PosixFiles.makedev(
                        Integer.toUnsignedLong(buffer.get(Libc.INT, 128)),
                        Integer.toUnsignedLong(buffer.get(Libc.INT, 132))));
    }

    /** A statx_timestamp: seconds (s64) then nanoseconds (u32). */
    private static FileTime time(MemorySegment buffer, long offset) {
        return FileTime.from(Instant.ofEpochSecond(
                buffer.get(Libc.LONG, offset), Integer.toUnsignedLong(buffer.get(Libc.INT, offset + 8))));
    }

    /** The exceptions the JDK throws for the same errors, so callers catch one kind whichever way the stat went. */
    private static IOException failure(String name, int errno) {
        return switch (errno) {
            case SyscallException.ENOENT, SyscallException.ENOTDIR -> new NoSuchFileException(name);
            case SyscallException.EACCES -> new AccessDeniedException(name);
            default -> new SyscallException("statx", name, errno);
        };
    }

    /** The JDK's answer: where statx is missing, and what the tests hold statx's answer to. */
    static Lstat viaJdk(Path path) throws IOException {
        Map<String, Object> a = Files.readAttributes(path, JDK_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
        return new Lstat(
                (Integer) a.get("mode"),
                (Integer) a.get("uid"),
                (Integer) a.get("gid"),
                (Long) a.get("size"),
                (FileTime) a.get("lastAccessTime"),
                (FileTime) a.get("lastModifiedTime"),
                (FileTime) a.get("ctime"),
                (Long) a.get("ino"),
                (Long) a.get("dev"),
                (Integer) a.get("nlink"),
                (Long) a.get("rdev"));
    }
}
