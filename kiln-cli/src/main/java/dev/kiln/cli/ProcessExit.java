package dev.kiln.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Ends the command at once once it has said everything. The JVM's own exit waits up to 300 ms for threads that sit in
 * native code, and a client that used sockets from virtual threads always has one there (the JDK's socket poller,
 * parked in epoll_wait): a cached build through the daemon spent a third of its time in that wait (measured: a JVM
 * that read one socket from a virtual thread takes 0.5 s to exit instead of 0.16 s). The command has no shutdown
 * work of its own by then (outputs are written and renamed before the build's answer arrives), so after flushing
 * its streams it calls _exit(2); where that call is not possible, or {@code -Dkiln.exit=jvm} asks for it (a run that
 * records an AOT cache, which the JVM writes at its own exit), it exits the JVM's way.
 */
final class ProcessExit {

    private ProcessExit() {
    }

    static void now(int status) {
        System.out.flush();
        System.err.flush();
        if ("jvm".equals(System.getProperty("kiln.exit"))) {
            System.exit(status);
        }
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle exit = linker.downcallHandle(linker.defaultLookup().find("_exit").orElseThrow(),
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
            exit.invokeExact(status);
        } catch (Throwable unavailable) {
            System.exit(status);
        }
    }
}
