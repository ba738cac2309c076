package dev.kiln.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host's processes as tests see them, to tell whether a build step's process still runs. It reads /proc:
 * ProcessHandle knows no command line for a process whose executable lies in another mount namespace (a
 * container's).
 */
public final class HostProcesses {

    private HostProcesses() {}

    /** Whether a process whose command line (arguments joined by spaces) contains {@code text} runs. */
    public static boolean anyRuns(String text) throws IOException {
        try (var entries = Files.list(Path.of("/proc"))) {
            return entries.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .anyMatch(p -> commandLine(p).contains(text));
        }
    }

    private static String commandLine(Path process) {
        try {
            return new String(Files.readAllBytes(process.resolve("cmdline"))).replace('\0', ' ');
        } catch (IOException gone) {
            return "";
        }
    }
}
