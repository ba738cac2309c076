package dev.kiln.worker.sys;

import dev.kiln.core.sys.Libc;
import dev.kiln.core.sys.SyscallException;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** mount(2) and umount2(2), which the JDK does not offer. */
public final class Mounts {
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final long MS_REMOUNT = 32;
    public static final long MS_BIND = 4096;
    public static final long MS_MOVE = 8192;
    public static final long MS_REC = 16384;
    public static final long MS_PRIVATE = 1L << 18;
    public static final long MS_SLAVE = 1L << 19;
    public static final long MS_SHARED = 1L << 20;

    public static final int MNT_FORCE = 1;
    public static final int MNT_DETACH = 2;
    public static final int UMOUNT_NOFOLLOW = 8;

    private static final MethodHandle MOUNT = Libc.capturingErrno(
            "mount",
            FunctionDescriptor.of(Libc.INT, Libc.POINTER, Libc.POINTER, Libc.POINTER, Libc.LONG, Libc.POINTER));
    private static final MethodHandle UMOUNT2 =
            Libc.capturingErrno("umount2", FunctionDescriptor.of(Libc.INT, Libc.POINTER, Libc.INT));

    private Mounts() {}

    /**
     * Mounts {@code source} of type {@code fstype} on {@code target}.
     * {@code fstype} and {@code data} may be null (as for a bind mount or a remount).
     */
    public static void mount(String source, Path target, String fstype, long flags, String data)
            throws SyscallException {
        Libc.run((arena, state) -> {
            int rc = (int) MOUNT.invokeExact(
                    state,
                    Libc.cString(arena, source),
                    arena.allocateFrom(target.toString()),
                    Libc.cString(arena, fstype),
                    flags,
                    Libc.cString(arena, data));
            if (rc != 0) {
                String kind = fstype == null ? "" : " (" + fstype + ")";
                throw new SyscallException("mount", source + kind + " on " + target, Libc.errno(state));
            }
        });
    }

    /** Unmounts {@code target}; {@code flags} is 0 or a combination of MNT_DETACH, MNT_FORCE, UMOUNT_NOFOLLOW. */
    public static void unmount(Path target, int flags) throws SyscallException {
        Libc.run((arena, state) -> {
            int rc = (int) UMOUNT2.invokeExact(state, arena.allocateFrom(target.toString()), flags);
            if (rc != 0) {
                throw new SyscallException("umount2", target.toString(), Libc.errno(state));
            }
        });
    }

    /** Mount points of this process's namespace at or below {@code dir}, deepest first (the order to unmount them in). */
    public static List<Path> mountPointsUnder(Path dir) throws IOException {
        Path base = dir.toAbsolutePath().normalize();
        List<Path> found = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            if (fields.length > 4) {
                Path point = Path.of(unescape(fields[4]));
                if (point.startsWith(base)) {
                    found.add(point);
                }
            }
        }
        found.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return found;
    }

    /** mountinfo writes space, tab, newline and backslash as three octal digits after a backslash. */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                String octal = field.substring(i + 1, i + 4);
                if (octal.chars().allMatch(d -> d >= '0' && d <= '7')) {
                    out.append((char) Integer.parseInt(octal, 8));
                    i += 3;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }
}
