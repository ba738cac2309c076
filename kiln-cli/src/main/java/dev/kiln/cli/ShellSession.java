package dev.kiln.cli;

import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.ExitException;
import dev.kiln.gateway.WinSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The user's side of a debug shell. At a terminal, the shell gets a real TTY: the user's terminal
 * is put in raw mode (every key, Ctrl-C included, goes to the shell) and its size follows the
 * user's window; elsewhere (a script, a test) the shell reads stdin and writes stdout as pipes.
 */
record ShellSession(InputStream in, PrintStream out, PrintStream err) {

    private static final List<String> SHELL = List.of("/bin/sh");

    /** Where a shell starts: a step's container, in this process ({@code DebugShell}) or through a gateway. */
    @FunctionalInterface
    interface Target {
        ContainerProcess start(List<String> args, InputStream in, OutputStream out, OutputStream err, boolean tty)
                throws InterruptedException;
    }

    /** Runs a shell in {@code shell}'s container after telling the user {@code banner}; returns when it exits. */
    void run(Target shell, String banner) throws InterruptedException {
        boolean terminal =
                in == System.in && System.console() != null && System.console().isTerminal();
        err.println();
        err.println("kiln: " + banner);
        err.flush();
        String saved = terminal ? stty("-g").strip() : null;
        try {
            if (terminal) {
                stty("raw", "-echo");
            }
            ContainerProcess process = shell.start(SHELL, in, out, err, terminal);
            if (terminal) {
                followWindowSize(process);
            }
            try {
                process.waitFor();
            } catch (ExitException exited) {
                // the shell's own exit status does not change the build's outcome
            }
        } finally {
            if (saved != null) {
                stty(saved);
            }
        }
    }

    /** Resizes the shell's terminal now and whenever the user's window changes (SIGWINCH). */
    @SuppressWarnings("restricted")
    private void followWindowSize(ContainerProcess process) {
        Runnable resize = () -> size().ifPresent(process::resize);
        resize.run();
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), signal -> resize.run());
        } catch (IllegalArgumentException unsupported) {
            // no SIGWINCH here: the size stays what it was at the start
        }
    }

    private static java.util.Optional<WinSize> size() {
        String[] parts = stty("size").strip().split("\\s+");
        try {
            return java.util.Optional.of(new WinSize(Integer.parseInt(parts[0]), Integer.parseInt(parts[1])));
        } catch (RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** Runs stty on the user's terminal, returning what it printed. */
    private static String stty(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("stty"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command)
                    .redirectInput(new java.io.File("/dev/tty"))
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor();
            return output;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
