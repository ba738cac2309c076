package dev.kiln.oci.layer;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The file calls a layer needs and the JDK lacks: mknod(2) for whiteouts, devices and FIFOs, and extended
 * attributes of every namespace without following symlinks (the JDK reaches only "user.", overlayfs keeps its
 * markers in "trusted.", file capabilities live in "security."), lchown(2), which the JDK only offers as two
 * calls (owner, then group), and utimensat(2) by path, as the JDK sets times through an open descriptor, and opening
 * a FIFO blocks. Permission bits the JDK sets by path with chmod(2), so that is not here.
 */
@SuppressWarnings("restricted") // callers run with --enable-native-access
final class NativeFiles {
  static final int S_IFMT = 0170000;
  static final int S_IFSOCK = 0140000;
  static final int S_IFLNK = 0120000;
  static final int S_IFREG = 0100000;
  static final int S_IFBLK = 0060000;
  static final int S_IFDIR = 0040000;
  static final int S_IFCHR = 0020000;
  static final int S_IFIFO = 0010000;

  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;

  static final int EPERM = 1;
  static final int EACCES = 13;
  static final int ERANGE = 34;
  static final int ENODATA = 61;
  static final int EOPNOTSUPP = 95;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
  private static final ValueLayout POINTER = ValueLayout.ADDRESS;

  private static final MethodHandle MKNOD = downcall("mknod", FunctionDescriptor.of(INT, POINTER, INT, LONG));
  private static final MethodHandle LCHOWN = downcall("lchown", FunctionDescriptor.of(INT, POINTER, INT, INT));
  private static final MethodHandle UTIMENSAT =
      downcall("utimensat", FunctionDescriptor.of(INT, INT, POINTER, POINTER, INT));
  private static final MethodHandle LGETXATTR =
      downcall("lgetxattr", FunctionDescriptor.of(LONG, POINTER, POINTER, POINTER, LONG));
  private static final MethodHandle LSETXATTR =
      downcall("lsetxattr", FunctionDescriptor.of(INT, POINTER, POINTER, POINTER, LONG, INT));
  private static final MethodHandle LLISTXATTR =
      downcall("llistxattr", FunctionDescriptor.of(LONG, POINTER, POINTER, LONG));
  private static final MethodHandle STRERROR =
      LINKER.downcallHandle(symbol("strerror"), FunctionDescriptor.of(POINTER, INT));

  private NativeFiles() {}

  /** glibc's makedev: the kernel's dev_t encoding of a device number. */
  static long makedev(long major, long minor) {
    return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
  }

  static long major(long dev) {
    return ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
  }

  static long minor(long dev) {
    return ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
  }

  /** Creates a device node or FIFO; {@code mode} carries the file type and the permission bits. */
  static void mknod(Path path, int mode, long device) throws NativeCallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int rc = (int) MKNOD.invokeExact(state, arena.allocateFrom(path.toString()), mode, device);
      if (rc != 0) {
        throw failure("mknod", path, errno(state));
      }
    } catch (NativeCallException e) {
      throw e;
    } catch (Throwable e) {
      throw unexpected(e);
    }
  }

  /** Sets owner and group of the path itself, a symlink included, in one call. */
  static void lchown(Path path, long uid, long gid) throws NativeCallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int rc = (int) LCHOWN.invokeExact(state, arena.allocateFrom(path.toString()), (int) uid, (int) gid);
      if (rc != 0) {
        throw failure("lchown", path, errno(state));
      }
    } catch (NativeCallException e) {
      throw e;
    } catch (Throwable e) {
      throw unexpected(e);
    }
  }

  /** Sets access and modification time of the path itself, a symlink included, to the nanosecond. */
  static void setTimes(Path path, Instant accessed, Instant modified) throws NativeCallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment times = arena.allocate(LONG, 4);
      times.setAtIndex(LONG, 0, accessed.getEpochSecond());
      times.setAtIndex(LONG, 1, accessed.getNano());
      times.setAtIndex(LONG, 2, modified.getEpochSecond());
      times.setAtIndex(LONG, 3, modified.getNano());
      int rc = (int) UTIMENSAT.invokeExact(state, AT_FDCWD, arena.allocateFrom(path.toString()), times,
          AT_SYMLINK_NOFOLLOW);
      if (rc != 0) {
        throw failure("utimensat", path, errno(state));
      }
    } catch (NativeCallException e) {
      throw e;
    } catch (Throwable e) {
      throw unexpected(e);
    }
  }

  /** The attribute's value, or empty when the file does not have it. */
  static Optional<byte[]> getXattr(Path path, String name) throws NativeCallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment file = arena.allocateFrom(path.toString());
      MemorySegment key = arena.allocateFrom(name);
      while (true) {
        long size = (long) LGETXATTR.invokeExact(state, file, key, MemorySegment.NULL, 0L);
        if (size < 0) {
          return absentOrThrow(path, name, errno(state));
        }
        MemorySegment buffer = arena.allocate(Math.max(size, 1));
        long read = (long) LGETXATTR.invokeExact(state, file, key, buffer, size);
        if (read >= 0) {
          return Optional.of(buffer.asSlice(0, read).toArray(ValueLayout.JAVA_BYTE));
        }
        // ERANGE: the value grew between the two calls; ask for its size again.
        if (errno(state) != ERANGE) {
          return absentOrThrow(path, name, errno(state));
        }
      }
    } catch (NativeCallException e) {
      throw e;
    } catch (Throwable e) {
      throw unexpected(e);
    }
  }

  static void setXattr(Path path, String name, byte[] value) throws NativeCallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment data = value.length == 0 ? arena.allocate(1) : arena.allocateFrom(ValueLayout.JAVA_BYTE, value);
      int rc = (int) LSETXATTR.invokeExact(state, arena.allocateFrom(path.toString()), arena.allocateFrom(name), data,
          (long) value.length, 0);
      if (rc != 0) {
        throw failure("lsetxattr " + name, path, errno(state));
      }
    } catch (NativeCallException e) {
      throw e;
    } catch (Throwable e) {
      throw unexpected(e);
    }
  }

  /** Names of the attributes the caller may see; empty where the filesystem keeps none. */
  static List<String> listXattrs(Path path) throws NativeCallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment file = arena.allocateFrom(path.toString());
      while (true) {
        long size = (long) LLISTXATTR.invokeExact(state, file, MemorySegment.NULL, 0L);
        if (size < 0) {
          if (errno(state) == EOPNOTSUPP) {
            return List.of();
          }
          throw failure("llistxattr", path, errno(state));
        }
        if (size == 0) {
          return List.of();
        }
        MemorySegment buffer = arena.allocate(size);
        long read = (long) LLISTXATTR.invokeExact(state, file, buffer, size);
        if (read >= 0) {
          return splitNames(buffer.asSlice(0, read).toArray(ValueLayout.JAVA_BYTE));
        }
        if (errno(state) != ERANGE) {
          throw failure("llistxattr", path, errno(state));
        }
      }
    } catch (NativeCallException e) {
      throw e;
    } catch (Throwable e) {
      throw unexpected(e);
    }
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

  private static Optional<byte[]> absentOrThrow(Path path, String name, int errno) throws NativeCallException {
    if (errno == ENODATA || errno == EOPNOTSUPP) {
      return Optional.empty();
    }
    throw failure("lgetxattr " + name, path, errno);
  }

  private static NativeCallException failure(String call, Path path, int errno) {
    return new NativeCallException(call + " " + path + ": " + strerror(errno), errno);
  }

  private static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }

  private static String strerror(int errno) {
    try {
      MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
      return text.reinterpret(1024).getString(0) + " (errno " + errno + ")";
    } catch (Throwable e) {
      return "errno " + errno;
    }
  }

  private static RuntimeException unexpected(Throwable e) {
    if (e instanceof RuntimeException r) {
      return r;
    }
    if (e instanceof Error error) {
      throw error;
    }
    return new IllegalStateException("native call failed unexpectedly", e);
  }

  private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(symbol(name), descriptor, Linker.Option.captureCallState("errno"));
  }

  private static MemorySegment symbol(String name) {
    return LINKER.defaultLookup().find(name)
        .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no function " + name));
  }
}
