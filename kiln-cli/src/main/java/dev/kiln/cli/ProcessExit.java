package dev.kiln.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;

/**
 * Ends the command at once once it has said everything. The JVM's own exit waits up to 300 ms for threads that sit in
 * native code, such as a socket poller parked in epoll_wait (the session's Netty transport, or the JDK's poller for
 * sockets used from virtual threads): a cached build through the daemon once spent a third of its time in that wait.
 * The command has no shutdown work of its own by then (outputs are written and renamed before the build's answer
 * arrives), so when such a thread is left it calls _exit(2) after flushing its streams. Otherwise it exits the JVM's
 * way, which is then quick, and cheaper than linking the native call (some 60 ms of CPU in a fresh JVM).
 * {@code -Dkiln.exit=jvm} always exits the JVM's way (a run that records an AOT cache, which the JVM writes at its
 * own exit).
 */
final class ProcessExit {

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

    static void now(int status) {
        System.out.flush();
        System.err.flush();
        if ("jvm".equals(System.getProperty("kiln.exit")) || !threadInNativeCode()) {
            System.exit(status);
        }
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle exit = linker.downcallHandle(
                    linker.defaultLookup().find("_exit").orElseThrow(),
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
            exit.invokeExact(status);
        } catch (Throwable unavailable) {
            System.exit(status);
        }
    }
}
