package dev.kiln.core.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Downcall handles into the C library, each capturing errno so a failure can say why. The one place the tree
 * binds C functions: this package's file calls and the worker's mount, pty and signal calls all go through it.
 */
@SuppressWarnings("restricted") // the point of this package; callers run with --enable-native-access
public final class Libc {
    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT;
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    public static final java.lang.foreign.AddressLayout POINTER = ValueLayout.ADDRESS;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle STRERROR =
            LINKER.downcallHandle(symbol("strerror"), FunctionDescriptor.of(POINTER, INT));

    private Libc() {}

    /** A handle whose first parameter is a call-state segment that receives errno. */
    public static MethodHandle capturingErrno(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(symbol(name), descriptor, all);
    }

    /** A handle for a call that cannot fail (getuid, say), so there is no errno to capture. */
    public static MethodHandle infallible(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    public static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    public static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /** The C library's {@code environ}: this process's environment as a program's envp, for posix_spawn. */
    public static MemorySegment environ() {
        return LINKER.defaultLookup()
                .find("environ")
                .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no environ"))
                .reinterpret(POINTER.byteSize())
                .get(POINTER, 0);
    }

    public static MemorySegment cString(Arena arena, String value) {
        return value == null ? MemorySegment.NULL : arena.allocateFrom(value);
    }

    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(1024).getString(0);
        } catch (Throwable e) {
            return "errno " + errno;
        }
    }

    /** A native call's body: C memory comes from {@code arena}, errno lands in {@code state}. */
    @FunctionalInterface
    public interface Call<T> {
        T invoke(Arena arena, MemorySegment state) throws Throwable;
    }

    /** {@link Call} with no result. */
    @FunctionalInterface
    public interface Action {
        void invoke(Arena arena, MemorySegment state) throws Throwable;
    }

    /**
     * Runs {@code call} with a confined arena and a call state, both freed when it returns. The SyscallExceptions it
     * throws pass as they are; anything else a downcall throws is {@link #unexpected}.
     */
    public static <T> T call(Call<T> call) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            return call.invoke(arena, callState(arena));
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable e) {
            throw unexpected(e);
        }
    }

    /** As {@link #call}, for a body without a result. */
    public static void run(Action action) throws SyscallException {
        call((arena, state) -> {
            action.invoke(arena, state);
            return null;
        });
    }

    /** Rethrows what a downcall handle can throw besides our own checked exceptions. */
    public static RuntimeException unexpected(Throwable e) {
        if (e instanceof RuntimeException r) {
            return r;
        }
        if (e instanceof Error err) {
            throw err;
        }
        return new IllegalStateException("native call failed unexpectedly", e);
    }

    private static MemorySegment symbol(String name) {
        return LINKER.defaultLookup()
                .find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no function " + name));
    }
}
