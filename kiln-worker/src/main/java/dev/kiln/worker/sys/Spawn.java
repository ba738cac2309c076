package dev.kiln.worker.sys;

import dev.kiln.core.sys.Libc;
import dev.kiln.core.sys.SyscallException;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts a program with posix_spawn(3) from the JVM, its standard streams on pipes, as {@code new
 * ProcessBuilder(command).start()} would: the JVM's environment and working directory, every other descriptor
 * closed, signals at their defaults and none blocked.
 *
 * <p>Why not ProcessBuilder: the JDK spawns a helper program (jspawnhelper) that then execs the command, two program
 * loads where one does, and a build starts the OCI runtime at every RUN step: {@code start()} took 1.6 to 3.5 ms a
 * step against 0.3 to 0.5 ms for one posix_spawn (bench/README.md, session 16). The JDK's other mechanisms are
 * vfork (deprecated as dangerous) and fork (slower still, it copies the JVM's page tables); glibc's posix_spawn is
 * the safe vfork. Where the C library lacks posix_spawn_file_actions_addclosefrom_np (glibc before 2.34), or /proc
 * is not mounted, {@link #pipes} uses ProcessBuilder.
 */
public final class Spawn {

    private static final int O_CLOEXEC = 02000000;
    // glibc's posix_spawnattr flags
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    /** Room for posix_spawn_file_actions_t, posix_spawnattr_t and sigset_t on any glibc (80, 336 and 128 bytes). */
    private static final long OPAQUE_BYTES = 1024;

    private static final MethodHandle PIPE2 =
            Libc.capturingErrno("pipe2", FunctionDescriptor.of(Libc.INT, Libc.POINTER, Libc.INT));
    private static final MethodHandle CLOSE = Libc.infallible("close", FunctionDescriptor.of(Libc.INT, Libc.INT));
    private static final MethodHandle WAITPID =
            Libc.capturingErrno("waitpid", FunctionDescriptor.of(Libc.INT, Libc.INT, Libc.POINTER, Libc.INT));
    private static final Optional<Natives> NATIVES = Natives.find();

    private Spawn() {}

    /** The posix_spawn functions, when the C library has all of them. */
    private record Natives(
            MethodHandle actionsInit,
            MethodHandle addDup2,
            MethodHandle addCloseFrom,
            MethodHandle actionsDestroy,
            MethodHandle attrInit,
            MethodHandle attrSetFlags,
            MethodHandle attrSetSigMask,
            MethodHandle attrSetSigDefault,
            MethodHandle attrDestroy,
            MethodHandle sigEmptySet,
            MethodHandle sigFillSet,
            MethodHandle spawnp) {

        static Optional<Natives> find() {
            MemoryLayout pointer = Libc.POINTER;
            try {
                return Optional.of(new Natives(
                        intFunction("posix_spawn_file_actions_init", pointer),
                        intFunction("posix_spawn_file_actions_adddup2", pointer, Libc.INT, Libc.INT),
                        intFunction("posix_spawn_file_actions_addclosefrom_np", pointer, Libc.INT),
                        intFunction("posix_spawn_file_actions_destroy", pointer),
                        intFunction("posix_spawnattr_init", pointer),
                        intFunction("posix_spawnattr_setflags", pointer, Libc.SHORT),
                        intFunction("posix_spawnattr_setsigmask", pointer, pointer),
                        intFunction("posix_spawnattr_setsigdefault", pointer, pointer),
                        intFunction("posix_spawnattr_destroy", pointer),
                        intFunction("sigemptyset", pointer),
                        intFunction("sigfillset", pointer),
                        // pid, path, file actions, attributes, argv, envp
                        intFunction("posix_spawnp", pointer, pointer, pointer, pointer, pointer, pointer)));
            } catch (UnsatisfiedLinkError olderLibrary) {
                return Optional.empty();
            }
        }
    }

    /** A C function that returns an int and takes {@code parameters}; these report failure by their result. */
    private static MethodHandle intFunction(String name, MemoryLayout... parameters) {
        return Libc.infallible(name, FunctionDescriptor.of(Libc.INT, parameters));
    }

    /**
     * Starts {@code command} (its first word found on PATH as ProcessBuilder finds it) with its standard input,
     * output and error on pipes to the returned process.
     *
     * @throws IOException naming the program when it cannot be started
     */
    public static Process pipes(List<String> command) throws IOException {
        if (NATIVES.isEmpty()) {
            return new ProcessBuilder(command).start();
        }
        return start(NATIVES.get(), List.copyOf(command));
    }

    private static Process start(Natives natives, List<String> command) throws IOException {
        int[] stdin = pipe();
        int[] stdout = pipe();
        int[] stderr = pipe();
        // The parent's ends, opened again through /proc while both ends of each pipe are still open here (opening a
        // pipe's end blocks until its other end is open): plain JDK streams, with no descriptor smuggled in.
        OutputStream toChild = null;
        InputStream fromChild = null;
        InputStream errorsFromChild = null;
        try {
            try {
                toChild = new FileOutputStream("/proc/self/fd/" + stdin[1]);
                fromChild = new FileInputStream("/proc/self/fd/" + stdout[0]);
                errorsFromChild = new FileInputStream("/proc/self/fd/" + stderr[0]);
            } catch (IOException noProc) {
                closeQuietly(toChild);
                closeQuietly(fromChild);
                return new ProcessBuilder(command).start(); // a JVM without /proc: the JDK's way
            }
            int pid = spawn(natives, command, stdin[0], stdout[1], stderr[1]);
            return new SpawnedProcess(pid, toChild, fromChild, errorsFromChild);
        } catch (IOException | RuntimeException e) {
            closeQuietly(toChild);
            closeQuietly(fromChild);
            closeQuietly(errorsFromChild);
            throw e;
        } finally {
            for (int fd : new int[] {stdin[0], stdin[1], stdout[0], stdout[1], stderr[0], stderr[1]}) {
                close(fd);
            }
        }
    }

    private static int spawn(Natives natives, List<String> command, int stdin, int stdout, int stderr)
            throws IOException {
        int result;
        int pid;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(OPAQUE_BYTES);
            MemorySegment attributes = arena.allocate(OPAQUE_BYTES);
            MemorySegment noSignals = arena.allocate(OPAQUE_BYTES);
            MemorySegment allSignals = arena.allocate(OPAQUE_BYTES);
            MemorySegment argv = arena.allocate(Libc.POINTER, command.size() + 1L);
            for (int i = 0; i < command.size(); i++) {
                argv.setAtIndex(Libc.POINTER, i, arena.allocateFrom(command.get(i)));
            }
            argv.setAtIndex(Libc.POINTER, command.size(), MemorySegment.NULL);
            MemorySegment pidOut = arena.allocate(Libc.INT);
            int ignored = (int) natives.actionsInit().invokeExact(actions);
            try {
                ignored = (int) natives.addDup2().invokeExact(actions, stdin, 0);
                ignored = (int) natives.addDup2().invokeExact(actions, stdout, 1);
                ignored = (int) natives.addDup2().invokeExact(actions, stderr, 2);
                ignored = (int) natives.addCloseFrom().invokeExact(actions, 3);
                ignored = (int) natives.attrInit().invokeExact(attributes);
                try {
                    ignored = (int) natives.sigEmptySet().invokeExact(noSignals);
                    ignored = (int) natives.sigFillSet().invokeExact(allSignals);
                    ignored = (int) natives.attrSetSigMask().invokeExact(attributes, noSignals);
                    ignored = (int) natives.attrSetSigDefault().invokeExact(attributes, allSignals);
                    ignored = (int) natives.attrSetFlags()
                            .invokeExact(attributes, (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
                    result = (int) natives.spawnp()
                            .invokeExact(
                                    pidOut,
                                    argv.getAtIndex(Libc.POINTER, 0),
                                    actions,
                                    attributes,
                                    argv,
                                    Libc.environ());
                } finally {
                    ignored = (int) natives.attrDestroy().invokeExact(attributes);
                }
            } finally {
                ignored = (int) natives.actionsDestroy().invokeExact(actions);
            }
            pid = pidOut.get(Libc.INT, 0);
        } catch (Throwable e) {
            throw Libc.unexpected(e);
        }
        if (result != 0) {
            // ProcessBuilder's wording, so a missing runtime reads the same either way
            throw new IOException("Cannot run program \"" + command.getFirst() + "\": error=" + result + ", "
                    + Libc.strerror(result));
        }
        return pid;
    }

    private static int[] pipe() throws SyscallException {
        return Libc.call((arena, state) -> {
            MemorySegment fds = arena.allocate(Libc.INT, 2);
            if ((int) PIPE2.invokeExact(state, fds, O_CLOEXEC) != 0) {
                throw new SyscallException("pipe2", "a child's standard stream", Libc.errno(state));
            }
            return new int[] {fds.getAtIndex(Libc.INT, 0), fds.getAtIndex(Libc.INT, 1)};
        });
    }

    private static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            throw Libc.unexpected(e);
        }
    }

    private static void closeQuietly(AutoCloseable stream) {
        if (stream != null) {
            try {
                stream.close();
            } catch (Exception alreadyFailing) {
                // the start's own failure is what the caller hears of
            }
        }
    }

    /** waitpid(2) until {@code pid} ends; its exit code, or 128 plus the signal that killed it, as Process says. */
    private static int awaitExit(int pid) throws SyscallException {
        return Libc.call((arena, state) -> {
            MemorySegment status = arena.allocate(Libc.INT);
            while ((int) WAITPID.invokeExact(state, pid, status, 0) < 0) {
                int errno = Libc.errno(state);
                if (errno != SyscallException.EINTR) {
                    throw new SyscallException("waitpid", "pid " + pid, errno);
                }
            }
            int raw = status.get(Libc.INT, 0);
            int signal = raw & 0x7f;
            return signal == 0 ? (raw >> 8) & 0xff : 0x80 + signal;
        });
    }

    /** A child {@link #pipes} started; a platform thread of its own waits for it, as the JDK's reaper does. */
    private static final class SpawnedProcess extends Process {
        private final int pid;
        private final OutputStream stdin;
        private final InputStream stdout;
        private final InputStream stderr;
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();

        SpawnedProcess(int pid, OutputStream stdin, InputStream stdout, InputStream stderr) {
            this.pid = pid;
            this.stdin = stdin;
            this.stdout = stdout;
            this.stderr = stderr;
            Thread.ofPlatform().daemon().name("kiln-reaper-" + pid).start(() -> {
                try {
                    exit.complete(awaitExit(pid));
                } catch (SyscallException | RuntimeException e) {
                    exit.completeExceptionally(e);
                }
            });
        }

        @Override
        public OutputStream getOutputStream() {
            return stdin;
        }

        @Override
        public InputStream getInputStream() {
            return stdout;
        }

        @Override
        public InputStream getErrorStream() {
            return stderr;
        }

        @Override
        public int waitFor() throws InterruptedException {
            try {
                return exit.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("waiting for process " + pid + " failed", e.getCause());
            }
        }

        @Override
        public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
            try {
                exit.get(timeout, unit);
                return true;
            } catch (TimeoutException e) {
                return false;
            } catch (ExecutionException e) {
                throw new IllegalStateException("waiting for process " + pid + " failed", e.getCause());
            }
        }

        @Override
        public int exitValue() {
            if (!exit.isDone()) {
                throw new IllegalThreadStateException("process " + pid + " has not exited");
            }
            return exit.join();
        }

        @Override
        public boolean isAlive() {
            return !exit.isDone();
        }

        @Override
        public void destroy() {
            signal(15);
        }

        @Override
        public Process destroyForcibly() {
            signal(9);
            return this;
        }

        @Override
        public boolean supportsNormalTermination() {
            return true;
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public CompletableFuture<Process> onExit() {
            return exit.handle((code, failure) -> this);
        }

        @Override
        public ProcessHandle toHandle() {
            return ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("process " + pid + " has exited"));
        }

        /**
         * Only while not reaped, when the pid is surely still this child's (the reaper may reap it between the check
         * and the signal: the JDK's own Process has the same window).
         */
        private void signal(int signal) {
            if (isAlive()) {
                try {
                    Signals.send(pid, signal);
                } catch (SyscallException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }
        }
    }
}
