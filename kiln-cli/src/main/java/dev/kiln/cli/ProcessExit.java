package dev.kiln.cli;

import dev.kiln.core.sys.Libc;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.util.Map;

/**
 * Ends the command at once once it has said everything, by {@link Runtime#halt} rather than {@link System#exit}.
 * <ul>
 *   <li>System.exit logs the exit through System.Logger (JDK 21 and later), and finding a logger makes the JVM scan
 *       every jar of the class path for a logger service: some 25 ms at the end of every command on Kiln's 44-jar
 *       class path, which the AOT cache otherwise never opens. The command has no shutdown work of its own by then:
 *       outputs are written and renamed before the build's answer arrives, and the daemon closes itself before its
 *       {@code serve} returns.
 *   <li>Either way the JVM waits up to 300 ms for threads that sit in native code, such as a socket poller parked in
 *       epoll_wait: a cached build through the daemon once spent a third of its time in that wait. Kiln's own
 *       connections end their reader threads when they close, so such a thread is rare; when one stays, the command
 *       calls _exit(2) after flushing its streams, which costs linking the native call (some 60 ms of CPU in a fresh
 *       JVM).
 * </ul>
 * {@code -Dkiln.exit=jvm} always exits the JVM's full way (a run that records an AOT cache, which the JVM writes at
 * its own exit).
 */
final class ProcessExit {

    private static final int NATIVE_CHECKS = 5;
    private static final long NATIVE_CHECK_PAUSE_MS = 2;

    private ProcessExit() {}

    /** Whether another thread runs a native method now, which the JVM's exit would wait for. */
    private static boolean threadInNativeCode() {
        for (Map.Entry<Thread, StackTraceElement[]> thread :
                Thread.getAllStackTraces().entrySet()) {
            StackTraceElement[] stack = thread.getValue();
            // A thread waiting in a monitor or parked also shows a native frame on top, but not as RUNNABLE; the
            // JVM's own threads of the root group (the reference handler) wait inside the VM, not in native code.
            Thread other = thread.getKey();
            if (other != Thread.currentThread()
                    && other.getState() == Thread.State.RUNNABLE
                    && stack.length > 0
                    && stack[0].isNativeMethod()
                    && !"system".equals(other.getThreadGroup().getName())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a thread stays in native code over a few checks: a reader whose socket was just closed is seen in its
     * read for a moment before it leaves, and waiting those few milliseconds is cheaper than linking _exit.
     */
    private static boolean threadStaysInNativeCode() {
        for (int check = 0; check < NATIVE_CHECKS; check++) {
            if (!threadInNativeCode()) {
                return false;
            }
            try {
                Thread.sleep(NATIVE_CHECK_PAUSE_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }
        return threadInNativeCode();
    }

    static void now(int status) {
        System.out.flush();
        System.err.flush();
        if ("jvm".equals(System.getProperty("kiln.exit"))) {
            System.exit(status);
        }
        if (!threadStaysInNativeCode()) {
            Runtime.getRuntime().halt(status);
        }
        try {
            MethodHandle exit = Libc.infallible("_exit", FunctionDescriptor.ofVoid(Libc.INT));
            exit.invokeExact(status);
        } catch (Throwable unavailable) {
            System.exit(status);
        }
    }
}
