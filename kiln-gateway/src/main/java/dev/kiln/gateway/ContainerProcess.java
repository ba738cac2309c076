package dev.kiln.gateway;

/** A process running in a {@link Container}. */
public interface ContainerProcess {

    /** Waits for the process to end; a non-zero exit status is an {@link ExitException} carrying it. */
    void waitFor() throws InterruptedException;

    /** Changes the size of the process's terminal (only for processes started with a TTY). */
    void resize(WinSize size);

    /** Delivers a signal, such as 2 (SIGINT) or 15 (SIGTERM), to the process. */
    void signal(int signal);
}
