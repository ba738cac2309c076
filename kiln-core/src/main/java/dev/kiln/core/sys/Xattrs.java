package dev.kiln.core.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Extended attributes of any namespace (the JDK reaches only "user."), never following symlinks.
 * Overlayfs keeps its markers in "trusted.overlay.*" and file capabilities live in "security.", which is why this
 * exists.
 */
public final class Xattrs {
    private static final MethodHandle LGETXATTR = Libc.capturingErrno(
            "lgetxattr", FunctionDescriptor.of(Libc.LONG, Libc.POINTER, Libc.POINTER, Libc.POINTER, Libc.LONG));
    private static final MethodHandle LSETXATTR = Libc.capturingErrno(
            "lsetxattr",
            FunctionDescriptor.of(Libc.INT, Libc.POINTER, Libc.POINTER, Libc.POINTER, Libc.LONG, Libc.INT));
    private static final MethodHandle LLISTXATTR =
            Libc.capturingErrno("llistxattr", FunctionDescriptor.of(Libc.LONG, Libc.POINTER, Libc.POINTER, Libc.LONG));
    private static final MethodHandle LREMOVEXATTR =
            Libc.capturingErrno("lremovexattr", FunctionDescriptor.of(Libc.INT, Libc.POINTER, Libc.POINTER));

    private Xattrs() {}

    /** The attribute's value, or empty when the file does not have it. */
    public static Optional<byte[]> get(Path path, String name) throws SyscallException {
        return Libc.call((arena, state) -> {
            MemorySegment file = arena.allocateFrom(path.toString());
            MemorySegment key = arena.allocateFrom(name);
            while (true) {
                long size = (long) LGETXATTR.invokeExact(state, file, key, MemorySegment.NULL, 0L);
                if (size < 0) {
                    return absentOrThrow("lgetxattr " + name, path, Libc.errno(state));
                }
                MemorySegment buffer = arena.allocate(Math.max(size, 1));
                long read = (long) LGETXATTR.invokeExact(state, file, key, buffer, size);
                if (read >= 0) {
                    return Optional.of(buffer.asSlice(0, read).toArray(ValueLayout.JAVA_BYTE));
                }
                int errno = Libc.errno(state);
                if (errno != SyscallException.ERANGE) {
                    return absentOrThrow("lgetxattr " + name, path, errno);
                }
            }
        });
    }

    public static void set(Path path, String name, byte[] value) throws SyscallException {
        Libc.run((arena, state) -> {
            MemorySegment data =
                    value.length == 0 ? arena.allocate(1) : arena.allocateFrom(ValueLayout.JAVA_BYTE, value);
            int rc = (int) LSETXATTR.invokeExact(
                    state, arena.allocateFrom(path.toString()), arena.allocateFrom(name), data, (long) value.length, 0);
            if (rc != 0) {
                throw new SyscallException("lsetxattr " + name, path.toString(), Libc.errno(state));
            }
        });
    }

    public static void remove(Path path, String name) throws SyscallException {
        Libc.run((arena, state) -> {
            int rc = (int)
                    LREMOVEXATTR.invokeExact(state, arena.allocateFrom(path.toString()), arena.allocateFrom(name));
            if (rc != 0) {
                throw new SyscallException("lremovexattr " + name, path.toString(), Libc.errno(state));
            }
        });
    }

    /**
     * Names of all attributes the caller may see, in the kernel's order; none where the filesystem keeps no
     * attributes (EOPNOTSUPP), as {@link #get} finds none there either.
     */
    public static List<String> list(Path path) throws SyscallException {
        return Libc.call((arena, state) -> {
            MemorySegment file = arena.allocateFrom(path.toString());
            while (true) {
                long size = (long) LLISTXATTR.invokeExact(state, file, MemorySegment.NULL, 0L);
                if (size < 0) {
                    if (Libc.errno(state) == SyscallException.EOPNOTSUPP) {
                        return List.of();
                    }
                    throw new SyscallException("llistxattr", path.toString(), Libc.errno(state));
                }
                if (size == 0) {
                    return List.of();
                }
                MemorySegment buffer = arena.allocate(size);
                long read = (long) LLISTXATTR.invokeExact(state, file, buffer, size);
                if (read >= 0) {
                    return splitNames(buffer.asSlice(0, read).toArray(ValueLayout.JAVA_BYTE));
                }
                if (Libc.errno(state) != SyscallException.ERANGE) {
                    throw new SyscallException("llistxattr", path.toString(), Libc.errno(state));
                }
            }
        });
    }

    private static List<String> splitNames(byte[] names) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < names.length; i++) {
            if (names[i] == 0) {
                if (i > start) {
                    out.add(new String(names, start, i - start, StandardCharsets.UTF_8));
                }
                start = i + 1;
            }
        }
        return out;
    }

    private static Optional<byte[]> absentOrThrow(String call, Path path, int errno) throws SyscallException {
        if (errno == SyscallException.ENODATA || errno == SyscallException.EOPNOTSUPP) {
            return Optional.empty();
        }
        throw new SyscallException(call, path.toString(), errno);
    }
}
