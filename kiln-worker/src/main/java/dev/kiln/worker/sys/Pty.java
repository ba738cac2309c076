package dev.kiln.worker.sys;

import dev.kiln.core.sys.Libc;
import dev.kiln.core.sys.SyscallException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A pseudo-terminal pair: the master side stays with Kiln, the slave side becomes a process's terminal. Reads and
 * writes on the master are plain read(2)/write(2) calls, so they block the calling thread.
 *
 * <p>Both sides are opened with O_NOCTTY. A daemon is a session leader without a terminal, and openpty(3) opens the
 * slave without that flag: the first shell's terminal became the daemon's controlling terminal, and its hangup when
 * the shell ended sent the daemon SIGHUP, which stopped it (seen with {@code kiln build --on-error shell}).
 */
public final class Pty implements AutoCloseable {
    private static final long TIOCGWINSZ = 0x5413;
    private static final long TIOCSWINSZ = 0x5414;

    private static final int O_RDWR = 02;
    private static final int O_NOCTTY = 0400;
    private static final int O_CLOEXEC = 02000000;

    private static final MethodHandle POSIX_OPENPT =
            Libc.capturingErrno("posix_openpt", FunctionDescriptor.of(Libc.INT, Libc.INT));
    private static final MethodHandle GRANTPT =
            Libc.capturingErrno("grantpt", FunctionDescriptor.of(Libc.INT, Libc.INT));
    private static final MethodHandle UNLOCKPT =
            Libc.capturingErrno("unlockpt", FunctionDescriptor.of(Libc.INT, Libc.INT));
    private static final MethodHandle PTSNAME_R =
            Libc.capturingErrno("ptsname_r", FunctionDescriptor.of(Libc.INT, Libc.INT, Libc.POINTER, Libc.LONG));
    private static final MethodHandle OPEN = Libc.capturingErrno(
            "open", FunctionDescriptor.of(Libc.INT, Libc.POINTER, Libc.INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL = Libc.capturingErrno(
            "ioctl",
            FunctionDescriptor.of(Libc.INT, Libc.INT, Libc.LONG, Libc.POINTER),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle READ =
            Libc.capturingErrno("read", FunctionDescriptor.of(Libc.LONG, Libc.INT, Libc.POINTER, Libc.LONG));
    private static final MethodHandle WRITE =
            Libc.capturingErrno("write", FunctionDescriptor.of(Libc.LONG, Libc.INT, Libc.POINTER, Libc.LONG));
    private static final MethodHandle CLOSE = Libc.capturingErrno("close", FunctionDescriptor.of(Libc.INT, Libc.INT));
    private static final MethodHandle TCGETATTR =
            Libc.capturingErrno("tcgetattr", FunctionDescriptor.of(Libc.INT, Libc.INT, Libc.POINTER));
    private static final MethodHandle TCSETATTR =
            Libc.capturingErrno("tcsetattr", FunctionDescriptor.of(Libc.INT, Libc.INT, Libc.INT, Libc.POINTER));
    private static final MethodHandle CFMAKERAW = Libc.infallible("cfmakeraw", FunctionDescriptor.ofVoid(Libc.POINTER));
    /** glibc's struct termios is 60 bytes on Linux; a little more room costs nothing. */
    private static final long TERMIOS_SIZE = 128;

    private static final int TCSANOW = 0;
    /** struct termios's c_oflag, after c_iflag. */
    private static final long C_OFLAG = 4;

    private static final int OPOST = 01;
    private static final int ONLCR = 04;
    private static final byte CR = '\r';

    /** Rows and columns of a terminal. */
    public record WindowSize(int rows, int columns) {
        public WindowSize {
            if (rows < 0 || rows > 0xffff || columns < 0 || columns > 0xffff) {
                throw new IllegalArgumentException(
                        "terminal size " + rows + "x" + columns + " is out of range 0..65535");
            }
        }
    }

    private final int master;
    private final int slave;
    private final Path slavePath;
    private boolean slaveOpen = true;
    private boolean closed;
    /** Whether the last byte {@link #read} gave out was a carriage return; only the one reader thread uses it. */
    private boolean lastReadWasCr;

    private Pty(int master, int slave, Path slavePath) {
        this.master = master;
        this.slave = slave;
        this.slavePath = slavePath;
    }

    /** The master side of a terminal someone else opened (a container runtime, over a console socket). */
    public static Pty ofMaster(int masterFd) {
        Pty pty = new Pty(masterFd, -1, null);
        pty.slaveOpen = false;
        return pty;
    }

    public static Pty open(WindowSize size) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int master = (int) POSIX_OPENPT.invokeExact(state, O_RDWR | O_NOCTTY | O_CLOEXEC);
            if (master < 0) {
                throw new SyscallException("posix_openpt", "", Libc.errno(state));
            }
            int slave;
            try {
                if ((int) GRANTPT.invokeExact(state, master) != 0) {
                    throw new SyscallException("grantpt", "pty master", Libc.errno(state));
                }
                if ((int) UNLOCKPT.invokeExact(state, master) != 0) {
                    throw new SyscallException("unlockpt", "pty master", Libc.errno(state));
                }
                MemorySegment name = arena.allocate(128);
                int rc = (int) PTSNAME_R.invokeExact(state, master, name, 128L);
                if (rc != 0) {
                    throw new SyscallException("ptsname_r", "pty master", rc);
                }
                slave = (int) OPEN.invokeExact(state, name, O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (slave < 0) {
                    throw new SyscallException("open", name.getString(0), Libc.errno(state));
                }
            } catch (SyscallException e) {
                close(master, "pty master");
                throw e;
            }
            Pty pty = new Pty(master, slave, Files.readSymbolicLink(Path.of("/proc/self/fd/" + slave)));
            try {
                pty.resize(size);
                setHostConsoleMode(arena, state, slave);
            } catch (IOException | RuntimeException e) {
                pty.close();
                throw e;
            }
            return pty;
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            throw Libc.unexpected(e);
        }
    }

    /**
     * The slave side as runc leaves its host console once the process runs: raw input, but output still turns "\n"
     * into "\r\n". runc switches its host console so only after the process started, and clears that translation on
     * the container's own terminal only then too. Set from the start, a line the process writes late is translated
     * once (a raw slave let it through bare, seen under load), and one it writes early twice, which {@link #read}
     * folds back.
     */
    private static void setHostConsoleMode(Arena arena, MemorySegment state, int fd) throws SyscallException {
        MemorySegment termios = arena.allocate(TERMIOS_SIZE);
        try {
            if ((int) TCGETATTR.invokeExact(state, fd, termios) != 0) {
                throw new SyscallException("tcgetattr", "pty " + fd, Libc.errno(state));
            }
            CFMAKERAW.invokeExact(termios);
            int oflag = termios.get(ValueLayout.JAVA_INT, C_OFLAG);
            termios.set(ValueLayout.JAVA_INT, C_OFLAG, oflag | OPOST | ONLCR);
            if ((int) TCSETATTR.invokeExact(state, fd, TCSANOW, termios) != 0) {
                throw new SyscallException("tcsetattr", "pty " + fd, Libc.errno(state));
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable e) {
            throw Libc.unexpected(e);
        }
    }

    public int masterFd() {
        return master;
    }

    public int slaveFd() {
        return slave;
    }

    /** The slave's device path, e.g. /dev/pts/3: what a process opens as its terminal. */
    public Path slavePath() {
        return slavePath;
    }

    /** Tells the terminal (and so the process in it, by SIGWINCH) its new size. */
    public void resize(WindowSize size) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            ioctl(arena, master, TIOCSWINSZ, winsize(arena, size), "TIOCSWINSZ");
        }
    }

    public WindowSize windowSize() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(ValueLayout.JAVA_SHORT, 4);
            ioctl(arena, master, TIOCGWINSZ, ws, "TIOCGWINSZ");
            return new WindowSize(
                    Short.toUnsignedInt(ws.getAtIndex(ValueLayout.JAVA_SHORT, 0)),
                    Short.toUnsignedInt(ws.getAtIndex(ValueLayout.JAVA_SHORT, 1)));
        }
    }

    /**
     * Reads what the terminal's process wrote; returns -1 once the slave side is closed everywhere. A run of carriage
     * returns reads as one: a terminal shows them alike, and a line the container's terminal translated before the
     * runtime switched it reaches this one as "\r\r\n". Not for two threads at once.
     */
    public int read(byte[] buffer, int offset, int length) throws SyscallException {
        int n;
        do {
            n = readRaw(buffer, offset, length);
        } while (n > 0 && (n = foldCarriageReturns(buffer, offset, n)) == 0);
        return n;
    }

    /** Drops each carriage return that follows one, in place; returns the bytes left. */
    private int foldCarriageReturns(byte[] buffer, int offset, int length) {
        int kept = offset;
        for (int i = offset; i < offset + length; i++) {
            byte b = buffer[i];
            if (b == CR && lastReadWasCr) {
                continue;
            }
            lastReadWasCr = b == CR;
            buffer[kept++] = b;
        }
        return kept - offset;
    }

    private int readRaw(byte[] buffer, int offset, int length) throws SyscallException {
        return Libc.call((arena, state) -> {
            MemorySegment data = arena.allocate(Math.max(length, 1));
            long n = (long) READ.invokeExact(state, master, data, (long) length);
            if (n < 0) {
                int errno = Libc.errno(state);
                if (errno == 5) { // EIO: Linux's way of saying every slave descriptor is closed
                    return -1;
                }
                throw new SyscallException("read", "pty master", errno);
            }
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, buffer, offset, (int) n);
            return n == 0 ? -1 : (int) n;
        });
    }

    /** Types into the terminal, as a keyboard would. */
    public void write(byte[] data, int offset, int length) throws SyscallException {
        Libc.run((arena, state) -> {
            MemorySegment buffer = arena.allocate(Math.max(length, 1));
            MemorySegment.copy(data, offset, buffer, ValueLayout.JAVA_BYTE, 0, length);
            long written = 0;
            while (written < length) {
                long n = (long) WRITE.invokeExact(state, master, buffer.asSlice(written), (long) length - written);
                if (n < 0) {
                    throw new SyscallException("write", "pty master", Libc.errno(state));
                }
                written += n;
            }
        });
    }

    /** Closes Kiln's copy of the slave side, once a process holds its own. */
    public synchronized void closeSlave() throws SyscallException {
        if (slaveOpen) {
            slaveOpen = false;
            close(slave, "pty slave");
        }
    }

    @Override
    public synchronized void close() throws SyscallException {
        if (closed) {
            return;
        }
        closed = true;
        closeSlave();
        close(master, "pty master");
    }

    private static void close(int fd, String what) throws SyscallException {
        Libc.run((arena, state) -> {
            if ((int) CLOSE.invokeExact(state, fd) != 0 && Libc.errno(state) != SyscallException.EBADF) {
                throw new SyscallException("close", what, Libc.errno(state));
            }
        });
    }

    private static MemorySegment winsize(Arena arena, WindowSize size) {
        MemorySegment ws = arena.allocate(ValueLayout.JAVA_SHORT, 4);
        ws.setAtIndex(ValueLayout.JAVA_SHORT, 0, (short) size.rows());
        ws.setAtIndex(ValueLayout.JAVA_SHORT, 1, (short) size.columns());
        return ws;
    }

    private static void ioctl(Arena arena, int fd, long request, MemorySegment arg, String name)
            throws SyscallException {
        try {
            MemorySegment state = Libc.callState(arena);
            if ((int) IOCTL.invokeExact(state, fd, request, arg) != 0) {
                throw new SyscallException("ioctl " + name, "fd " + fd, Libc.errno(state));
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable e) {
            throw Libc.unexpected(e);
        }
    }
}
