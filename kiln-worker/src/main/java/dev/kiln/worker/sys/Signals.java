package dev.kiln.worker.sys;

import dev.kiln.core.sys.Libc;
import dev.kiln.core.sys.SyscallException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

/** kill(2), for the signals the JDK cannot send (it only knows SIGTERM and SIGKILL). */
public final class Signals {
    public static final int SIGWINCH = 28;

    private static final MethodHandle KILL =
            Libc.capturingErrno("kill", FunctionDescriptor.of(Libc.INT, Libc.INT, Libc.INT));

    private Signals() {}

    public static void send(long pid, int signal) throws SyscallException {
        Libc.run((arena, state) -> {
            if ((int) KILL.invokeExact(state, (int) pid, signal) != 0) {
                int errno = Libc.errno(state);
                if (errno != 3) { // ESRCH: it already ended, which is no failure here
                    throw new SyscallException("kill", "pid " + pid + " signal " + signal, errno);
                }
            }
        });
    }
}
