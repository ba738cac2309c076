package dev.kiln.worker.runtime;

import dev.kiln.worker.sys.Pty;
import dev.kiln.worker.sys.Signals;
import java.io.IOException;

/**
 * A process on a pseudo-terminal, a container's first one or one exec'd into it; Kiln holds the terminal's master
 * side.
 */
public record TerminalContainer(RuntimeProcess container, Pty terminal) implements AutoCloseable {

    /** Gives the terminal a new size; the runtime passes it on to the container's terminal on SIGWINCH. */
    public void resize(Pty.WindowSize size) throws IOException {
        terminal.resize(size);
        container.signalRuntime(Signals.SIGWINCH);
    }

    /** Stops the process if it still runs, then closes the terminal. */
    @Override
    public void close() throws IOException {
        try {
            container.close();
        } finally {
            terminal.close();
        }
    }
}
