package dev.kiln.core.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/** File calls the JDK lacks or only offers partly: device nodes, the full mode (setuid, sticky), ownership and
 * nanosecond times without following symlinks (the JDK sets owner and group in two calls and times through an open
 * descriptor, and opening a FIFO blocks), syncing a whole filesystem, and the ids files of this process get. The
 * one home of these calls: layers (kiln-oci) and snapshots (kiln-worker) both use it. */
public final class PosixFiles {
    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_CLOEXEC = 02000000;

    private static final MethodHandle MKNOD =
            Libc.capturingErrno("mknod", FunctionDescriptor.of(Libc.INT, Libc.POINTER, Libc.INT, Libc.LONG));
    private static final MethodHandle CHMOD =
            Libc.capturingErrno("chmod", FunctionDescriptor.of(Libc.INT, Libc.POINTER, Libc.INT));
    private static final MethodHandle LCHOWN =
            Libc.capturingErrno("lchown", FunctionDescriptor.of(Libc.INT, Libc.POINTER, Libc.INT, Libc.INT));
    private static final MethodHandle UTIMENSAT = Libc.capturingErrno(
            "utimensat", FunctionDescriptor.of(Libc.INT, Libc.INT, Libc.POINTER, Libc.POINTER, Libc.INT));
    private static final MethodHandle OPEN =
            Libc.capturingErrno("open", FunctionDescriptor.of(Libc.INT, Libc.POINTER, Libc.INT));
    private static final MethodHandle SYNCFS = Libc.capturingErrno("syncfs", FunctionDescriptor.of(Libc.INT, Libc.INT));
    private static final MethodHandle CLOSE = Libc.capturingErrno("close", FunctionDescriptor.of(Libc.INT, Libc.INT));

    private static final MethodHandle GETUID = Libc.infallible("getuid", FunctionDescriptor.of(Libc.INT));
    private static final MethodHandle GETGID = Libc.infallible("getgid", FunctionDescriptor.of(Libc.INT));

    private PosixFiles() {}

    /** The real user id of this process (getuid(2)), as Go's os.Getuid gives it. */
    public static int uid() {
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable e) {
            throw Libc.unexpected(e);
        }
    }

    /** The real group id of this process (getgid(2)), as Go's os.Getgid gives it. */
    public static int gid() {
        try {
            return (int) GETGID.invokeExact();
        } catch (Throwable e) {
            throw Libc.unexpected(e);
        }
    }

    /** The kernel's dev_t encoding of a device number (glibc's makedev). */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32)
                | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12)
                | (minor & 0xffL);
    }

    public static long major(long dev) {
        return ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
    }

    public static long minor(long dev) {
        return ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
    }

    /** Creates a device node, FIFO or socket file; {@code mode} carries the type (S_IFCHR, ...) and the permissions. */
    public static void mknod(Path path, int mode, long device) throws SyscallException {
        call("mknod", path, (arena, state) ->
                (int) MKNOD.invokeExact(state, arena.allocateFrom(path.toString()), mode, device));
    }

    /** Sets all twelve permission bits, setuid, setgid and sticky included. Follows symlinks, as chmod(2) does. */
    public static void chmod(Path path, int mode) throws SyscallException {
        call("chmod", path, (arena, state) ->
                (int) CHMOD.invokeExact(state, arena.allocateFrom(path.toString()), mode & 07777));
    }

    /** Changes owner and group of the path itself, a symlink included. */
    public static void lchown(Path path, int uid, int gid) throws SyscallException {
        call("lchown", path, (arena, state) ->
                (int) LCHOWN.invokeExact(state, arena.allocateFrom(path.toString()), uid, gid));
    }

    /** Sets access and modification times with nanosecond precision on the path itself, a symlink included. */
    public static void setTimes(Path path, FileTime accessed, FileTime modified) throws SyscallException {
        setTimes(path, accessed.toInstant(), modified.toInstant());
    }

    /**
     * As {@link #setTimes(Path, FileTime, FileTime)}; an Instant reaches every time a tar header can hold, where
     * nanoseconds in a long end in 2262.
     */
    public static void setTimes(Path path, Instant accessed, Instant modified) throws SyscallException {
        call("utimensat", path, (arena, state) -> {
            MemorySegment times = arena.allocate(Libc.LONG, 4);
            times.setAtIndex(Libc.LONG, 0, accessed.getEpochSecond());
            times.setAtIndex(Libc.LONG, 1, accessed.getNano());
            times.setAtIndex(Libc.LONG, 2, modified.getEpochSecond());
            times.setAtIndex(Libc.LONG, 3, modified.getNano());
            return (int) UTIMENSAT.invokeExact(
                    state, AT_FDCWD, arena.allocateFrom(path.toString()), times, AT_SYMLINK_NOFOLLOW);
        });
    }

    /** Flushes every dirty page of the filesystem holding {@code directory} to disk: one call instead of an fsync per file. */
    public static void syncFilesystem(Path directory) throws SyscallException {
        Libc.run((arena, state) -> {
            int fd = (int) OPEN.invokeExact(
                    state, arena.allocateFrom(directory.toString()), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0) {
                throw new SyscallException("open", directory.toString(), Libc.errno(state));
            }
            try {
                if ((int) SYNCFS.invokeExact(state, fd) != 0) {
                    throw new SyscallException("syncfs", directory.toString(), Libc.errno(state));
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(state, fd);
            }
        });
    }

    @FunctionalInterface
    private interface Call {
        int invoke(Arena arena, MemorySegment state) throws Throwable;
    }

    private static void call(String name, Path path, Call call) throws SyscallException {
        Libc.run((arena, state) -> {
            if (call.invoke(arena, state) != 0) {
                throw new SyscallException(name, path.toString(), Libc.errno(state));
            }
        });
    }
}
