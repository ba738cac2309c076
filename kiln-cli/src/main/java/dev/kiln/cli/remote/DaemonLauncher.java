package dev.kiln.cli.remote;

import dev.kiln.api.DaemonEndpoint;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the daemon of a state when a client finds none, as Gradle starts its daemon: the same java with the same
 * class path and JVM flags as this client, in a session of its own (setsid) so the terminal's Ctrl-C and the client's
 * exit do not reach it, its output appended to {@code <state>/daemon.log}. It stops itself after
 * {@value #IDLE_TIMEOUT} without a build (the README says why that long).
 */
public final class DaemonLauncher {

    static final String IDLE_TIMEOUT = "3h";
    /** The daemon's AOT cache, beside the client's (the kiln launcher trains both). */
    static final String DAEMON_CACHE = "kiln-daemon.aot";

    /**
     * The daemon's memory flags, first in its command so that a heap flag the client was given wins (and {@code _JAVA_OPTIONS}
     * over both, as the JVM reads it after its command line). A small young generation:
     * a client's default (1/192 of the machine's memory, 116 MiB on a 24 GiB machine) is all resident once used, and
     * a daemon that runs builds keeps it; with 24 MiB, bench/w3.sh's builds ran as fast (2.24 and 2.41 s against 2.30
     * and 2.33 s, builds 2 to 6 of two runs each) and the daemon's peak resident size fell from 312-318 MiB to
     * 235-252 MiB. 16 MiB took another 10 MB off the peak over five W3 builds (182 against 192 MB, issue 13's W6)
     * for as little more CPU as the runs could show; 8 MiB another 6-8 (ten W3 builds, 161 against 168 MiB, once the
     * daemon's per-file state had shrunk). A small initial heap lets a full collection ({@code HeapTarget}) give
     * memory back. The free ratios: after a full collection the serial collector sizes its old generation so that at
     * least MinHeapFreeRatio of it is free (40% by default, so 30 MB live made it 50 MB, all of it resident once the
     * next build's promotions had filled it); 10% keeps it near the live size, and HeapTarget decides when to collect
     * (ten W3 builds peaked at 153 MiB against 161, their CPU time no higher). The code cache: the JIT compiles a
     * long tail of lukewarm methods as builds go on (9 MB of code after 60 cached builds, 11 after 210, still
     * growing), so a daemon's memory crept by some 5 MiB per 100 builds; 12 MiB of code cache makes the JVM unload
     * cold code when it fills, and 100 cached builds in a row stayed within 149 and 143 MiB (bench/suite.sh W6).
     * The {@code kiln} launcher passes the same to {@code kiln daemon}.
     */
    static final List<String> MEMORY = List.of(
            "-Xms32m", "-Xmn8m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:ReservedCodeCacheSize=12m");

    private static final String AOT_CACHE = "-XX:AOTCache=";

    /** The client's flag (the kiln launcher's): a daemon replays its cache's training, and lives long enough to gain. */
    private static final String NO_TRAINING_REPLAY = "-XX:-AOTReplayTraining";

    private static final String MAIN_CLASS = "dev.kiln.cli.Main";

    private final Duration startTimeout;

    public DaemonLauncher(Duration startTimeout) {
        this.startTimeout = startTimeout;
    }

    Path log(Path stateDir) {
        return stateDir.resolve("daemon.log");
    }

    Process start(Path stateDir, String address) throws IOException {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid")) || Files.isExecutable(Path.of("/bin/setsid"))) {
            command.add("setsid");
        }
        command.addAll(javaCommand());
        // The user's own daemon on the user's own socket: it allows what the embedded engine does with --allow.
        command.addAll(List.of(
                MAIN_CLASS,
                "daemon",
                "--state",
                stateDir.toString(),
                "--addr",
                address,
                "--idle-timeout",
                IDLE_TIMEOUT,
                "--allow-insecure-entitlement",
                "network.host",
                "--allow-insecure-entitlement",
                "security.insecure"));
        Path log = log(stateDir);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // the daemon decides for itself; a client's KILN_DAEMON=0 or --addr must not leak into builds it runs
        builder.environment().remove("KILN_HOST");
        builder.environment().put(DaemonEndpoint.AUTOSTARTED, "1");
        return builder.start();
    }

    /**
     * The java command of this process up to its main class: its JVM flags and class path, without the flags that
     * make a JDK AOT cache (a training run's client must not have its daemon write the cache too) or skip its training's
     * replay, and with the daemon's own AOT cache in place of the client's where the launcher trained one ({@link #DAEMON_CACHE}). The
     * daemon keeps the client's stop at the JIT's first tier: a fresh daemon's cached builds averaged 102 ms over its
     * builds 11 to 20 there and 158 ms with the second tier, whose profiling code and compiler threads a daemon pays
     * for over its first hundred builds. The second tier's one clear win, SHA-256 on the CPU's SHA instructions, the
     * daemon gets from libcrypto instead ({@code Sha256.preferNative}).
     */
    static List<String> javaCommand() {
        ProcessHandle.Info self = ProcessHandle.current().info();
        String java = self.command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return javaCommand(java, self.arguments().map(List::of).orElse(List.of()));
    }

    /** {@link #javaCommand()} for a process that runs {@code java} with {@code arguments}. */
    static List<String> javaCommand(String java, List<String> arguments) {
        int main = arguments.indexOf(MAIN_CLASS);
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(MEMORY);
        if (main < 0) {
            // not started as the kiln command (a test, an embedding program): its class path, the launcher's flags
            command.addAll(List.of(
                    "--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow",
                    "-cp",
                    System.getProperty("java.class.path")));
            return command;
        }
        for (String argument : arguments.subList(0, main)) {
            if (argument.startsWith(AOT_CACHE)) {
                command.add(AOT_CACHE + daemonCache(Path.of(argument.substring(AOT_CACHE.length()))));
            } else if (!argument.startsWith("-XX:AOTCacheOutput=")
                    && !argument.startsWith("-XX:AOTMode=")
                    && !argument.startsWith("-XX:AOTConfiguration=")
                    && !argument.equals(NO_TRAINING_REPLAY)) {
                command.add(argument);
            }
        }
        return command;
    }

    /**
     * The daemon's cache beside the client's {@code clientCache}, when the same training made it: the launcher writes
     * it after the client's, so one at least as new is from that training (an older one would hold classes of jars
     * since rebuilt). Otherwise the client's cache, which the daemon maps too.
     */
    static Path daemonCache(Path clientCache) {
        Path daemon = clientCache.resolveSibling(DAEMON_CACHE);
        try {
            if (Files.isRegularFile(daemon)
                    && Files.getLastModifiedTime(daemon).compareTo(Files.getLastModifiedTime(clientCache)) >= 0) {
                return daemon;
            }
        } catch (IOException unreadable) {
            // the client's cache then
        }
        return clientCache;
    }

    /** Waits until the started daemon answers, failing with one line that points to its log. */
    DaemonConnection awaitReady(Process daemon, Path stateDir, String address)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        Path socket = DaemonEndpoint.socketPath(address).orElse(null);
        DaemonConnection connection = null;
        try {
            while (System.nanoTime() < deadline) {
                if (socket == null || Files.exists(socket)) {
                    if (connection == null) {
                        connection = DaemonConnection.open(address);
                    }
                    if (connection.answers(Duration.ofSeconds(1))) {
                        DaemonConnection ready = connection;
                        connection = null;
                        return ready;
                    }
                }
                if (!daemon.isAlive() && DaemonEndpoint.running(stateDir).isEmpty()) {
                    throw new IOException("the kiln daemon exited with status " + daemon.exitValue()
                            + " before it answered; see " + log(stateDir));
                }
                Thread.sleep(20);
            }
            throw new IOException("the kiln daemon did not answer on " + address + " within " + startTimeout.toSeconds()
                    + "s; see " + log(stateDir));
        } finally {
            if (connection != null) {
                connection.close();
            }
        }
    }
}
