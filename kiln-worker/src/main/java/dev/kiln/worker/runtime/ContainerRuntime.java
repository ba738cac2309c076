package dev.kiln.worker.runtime;

import dev.kiln.worker.sys.Pty;
import dev.kiln.worker.sys.Spawn;
import dev.kiln.worker.user.Identity;
import dev.kiln.worker.user.UserDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Runs processes in containers through an OCI runtime (runc or crun): writes a bundle (config.json) for the
 * rootfs and {@link ProcessSpec}, then runs the runtime in the foreground: {@code run} for a container's first
 * process, {@code exec} for more processes in the same container. One runtime process per process, and one
 * {@link Watchdog} per runtime that deletes the containers still running if this JVM dies. Safe to use from many
 * threads; close it to delete what still runs and end the watchdog.
 */
public final class ContainerRuntime implements AutoCloseable {
    private static final Path DEBIAN_RUNC = Path.of("/usr/sbin/runc");
    /** How long a process to exec waits for its container to run: the container's start, at worst on a busy host. */
    private static final java.time.Duration RUNNING_WAIT = java.time.Duration.ofSeconds(30);

    private final Path binary;
    private final Path stateDir;
    private final Path bundles;
    private final Path runtimeRoot;
    private final Watchdog watchdog;

    private ContainerRuntime(Path binary, Path stateDir) {
        this.binary = binary;
        this.stateDir = stateDir;
        this.bundles = stateDir.resolve("bundles");
        this.runtimeRoot = stateDir.resolve(binary.getFileName() + "-state");
        this.watchdog = new Watchdog(binary, runtimeRoot, onPath("setsid"));
    }

    /**
     * The runtime this host has: runc at /usr/sbin/runc or on PATH, else crun on PATH. Bundles and the runtime's
     * own state live under {@code stateDir}.
     *
     * @throws IOException saying what to install when neither is there
     */
    public static ContainerRuntime detect(Path stateDir) throws IOException {
        Optional<Path> found = executable(DEBIAN_RUNC).or(() -> onPath("runc")).or(() -> onPath("crun"));
        if (found.isEmpty()) {
            throw new IOException("no OCI runtime found: looked for runc at " + DEBIAN_RUNC
                    + " and on PATH, and for crun" + " on PATH; install one (Debian/Ubuntu: apt-get install runc)");
        }
        return of(found.get(), stateDir);
    }

    /**
     * A runtime from an explicit binary (anything with runc's command line: runc, crun). Containers and bundles a
     * killed process left under {@code stateDir} are deleted here: every container in the runtime's root (its
     * processes die with it) and every bundle.
     */
    public static ContainerRuntime of(Path binary, Path stateDir) throws IOException {
        if (executable(binary).isEmpty()) {
            throw new IOException("OCI runtime " + binary + " is not an executable file");
        }
        ContainerRuntime runtime = new ContainerRuntime(binary.toAbsolutePath(), stateDir.toAbsolutePath());
        Files.createDirectories(runtime.bundles);
        Files.createDirectories(runtime.runtimeRoot);
        runtime.deleteLeftovers();
        return runtime;
    }

    /** "runc" or "crun": the binary's file name. */
    public String name() {
        return binary.getFileName().toString();
    }

    public Path binary() {
        return binary;
    }

    /**
     * Runs the process to its end and returns how it ended; a non-zero exit is a result, not an exception. Output
     * reaches the sinks as it is written. Interrupting the calling thread kills the container and throws
     * {@link InterruptedException}. The container and its bundle are gone when this returns.
     *
     * @throws IllegalArgumentException for a user or group the rootfs does not know
     * @throws IOException when the container cannot be set up
     */
    public ExitStatus run(Path rootfs, ProcessSpec spec, OutputSink stdout, OutputSink stderr)
            throws IOException, InterruptedException {
        try (RunningContainer container = start(rootfs, spec, stdout, stderr)) {
            container.stdin().close();
            return container.waitFor();
        }
    }

    /**
     * Starts the process and returns at once. The caller owns the returned container: it may write to its stdin,
     * signal it, wait for it, and must close it (which kills it if still running and deletes it).
     */
    public RunningContainer start(Path rootfs, ProcessSpec spec, OutputSink stdout, OutputSink stderr)
            throws IOException {
        return launch(rootfs, spec, null, Spawn::pipes, stdout, stderr);
    }

    /**
     * Starts the process on a pseudo-terminal (OCI {@code terminal: true}). The runtime runs in the foreground on a
     * second terminal, in raw mode, whose master side Kiln holds: it copies between that terminal and the
     * container's, so keys typed into the master (Ctrl-C included) reach the process as on a real terminal, and on
     * SIGWINCH it gives the container's terminal the size of its own ({@link TerminalContainer#resize}).
     */
    public TerminalContainer startOnTerminal(Path rootfs, ProcessSpec spec, Pty.WindowSize size) throws IOException {
        return runOnTerminal(
                spec,
                size,
                (withTerm, processes) ->
                        launch(rootfs, withTerm, size, processes, OutputSink.DISCARD, OutputSink.DISCARD));
    }

    /**
     * Starts one more process in {@code container} ({@code exec}): it joins the container's namespaces, pid and
     * network included, and sees its root filesystem and mounts. Of {@code spec} only the process counts (args, env,
     * cwd, user, security, ulimits); the rest is the container's. Waits for the container to run first, as a
     * process can only join a running one. The caller owns the returned process and must close it; it dies with the
     * container's first process.
     *
     * @throws IOException when the container has stopped, or the process cannot be set up
     */
    public ExecProcess exec(RunningContainer container, ProcessSpec spec, OutputSink stdout, OutputSink stderr)
            throws IOException, InterruptedException {
        return join(container, spec, null, Spawn::pipes, stdout, stderr);
    }

    /** As {@link #exec}, on a pseudo-terminal as {@link #startOnTerminal} sets one up. */
    public TerminalContainer execOnTerminal(RunningContainer container, ProcessSpec spec, Pty.WindowSize size)
            throws IOException, InterruptedException {
        return runOnTerminal(
                spec,
                size,
                (withTerm, processes) ->
                        join(container, withTerm, size, processes, OutputSink.DISCARD, OutputSink.DISCARD));
    }

    /**
     * How the runtime's own process starts: with pipes for its stdio ({@link Spawn#pipes}, a build's every RUN step)
     * or on a terminal.
     */
    @FunctionalInterface
    private interface Launcher {
        Process start(List<String> command) throws IOException;
    }

    /** Starts a process on a terminal: {@code start} gets the spec (given TERM) and the runtime's stdio. */
    private interface TerminalStart<E extends Exception> {
        RuntimeProcess start(ProcessSpec spec, Launcher processes) throws IOException, E;
    }

    /** A new terminal of {@code size} with a process on it; TERM is xterm unless {@code spec} sets it. */
    private static <E extends Exception> TerminalContainer runOnTerminal(
            ProcessSpec spec, Pty.WindowSize size, TerminalStart<E> start) throws IOException, E {
        ProcessSpec withTerm = spec.env().stream().anyMatch(e -> e.startsWith("TERM="))
                ? spec
                : spec.withEnv(concat(spec.env(), "TERM=xterm"));
        Pty pty = Pty.open(size);
        try {
            RuntimeProcess process = start.start(withTerm, onTerminal(pty));
            pty.closeSlave();
            return new TerminalContainer(process, pty);
        } catch (Throwable e) {
            pty.close();
            throw e;
        }
    }

    /** The runtime runs with the terminal's slave side as its stdio, which it copies to the container's own pty. */
    private static Launcher onTerminal(Pty pty) {
        java.io.File tty = pty.slavePath().toFile();
        return command -> new ProcessBuilder(command)
                .redirectInput(tty)
                .redirectOutput(tty)
                .redirectError(tty)
                .start();
    }

    private ExecProcess join(
            RunningContainer container,
            ProcessSpec spec,
            Pty.WindowSize terminal,
            Launcher builder,
            OutputSink stdout,
            OutputSink stderr)
            throws IOException, InterruptedException {
        container.awaitRunning(RUNNING_WAIT);
        Path root = container.rootfs();
        Identity identity = UserDatabase.of(root).resolveUser(spec.user());
        WorkingDirectory.ensure(root, spec.cwd(), identity);
        String name = container.nextExecName();
        Path processFile = container.bundle().resolve(name + ".json");
        Path pidFile = container.bundle().resolve(name + ".pid");
        try {
            BundleWriter.writeProcess(processFile, spec, identity, terminal);
            Process process = builder.start(command(
                    "exec", "--process", processFile.toString(), "--pid-file", pidFile.toString(), container.id()));
            return new ExecProcess(this, container, name, processFile, pidFile, process, stdout, stderr);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(processFile);
            Files.deleteIfExists(pidFile);
            throw e;
        }
    }

    private RunningContainer launch(
            Path rootfs,
            ProcessSpec spec,
            Pty.WindowSize terminal,
            Launcher builder,
            OutputSink stdout,
            OutputSink stderr)
            throws IOException {
        Path root = rootfs.toAbsolutePath();
        if (!Files.isDirectory(root)) {
            throw new IOException("rootfs " + root + " is not a directory");
        }
        Identity identity = UserDatabase.of(root).resolveUser(spec.user());
        WorkingDirectory.ensure(root, spec.cwd(), identity);

        String id =
                "kiln-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        Path bundle = Files.createDirectory(bundles.resolve(id));
        MountStubs stubs = null;
        try {
            stubs = MountStubs.find(root, BundleWriter.mountDestinations(spec));
            BundleWriter.write(bundle, root, spec, identity, terminal);
            // listed before the runtime starts: from here on a dying JVM takes the container with it
            watchdog.watch(id);
            // the pid file appears once the container runs: from then on processes can join it (exec)
            Process process = builder.start(command(
                    "run",
                    "--bundle",
                    bundle.toString(),
                    "--pid-file",
                    RunningContainer.pidFile(bundle).toString(),
                    id));
            return new RunningContainer(this, id, root, bundle, stubs, process, stdout, stderr);
        } catch (IOException | RuntimeException e) {
            watchdog.forget(id);
            if (stubs != null) {
                stubs.remove();
            }
            deleteBundle(bundle);
            throw e;
        }
    }

    /** The process that deletes this runtime's containers if the JVM dies; empty before the first container. */
    Optional<Long> watchdogPid() {
        return watchdog.pid();
    }

    /** Called by a container once the runtime has deleted it. */
    void forget(String id) {
        watchdog.forget(id);
    }

    /**
     * Deletes the containers still running (those not closed yet) and ends the watchdog; no container can be started
     * afterwards.
     */
    @Override
    public void close() throws IOException {
        watchdog.close();
    }

    private static List<String> concat(List<String> list, String extra) {
        List<String> all = new ArrayList<>(list);
        all.add(extra);
        return all;
    }

    List<String> command(String... arguments) {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--root", runtimeRoot.toString()));
        command.addAll(List.of(arguments));
        return command;
    }

    /** Runs a short runtime command (kill, delete) and returns its exit code; its output only matters on failure. */
    int control(String... arguments) throws IOException, InterruptedException {
        Process process =
                new ProcessBuilder(command(arguments)).redirectErrorStream(true).start();
        process.getOutputStream().close();
        process.getInputStream().readAllBytes();
        return process.waitFor();
    }

    void deleteBundle(Path bundle) throws IOException {
        try (Stream<Path> files = Files.list(bundle)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(bundle);
    }

    /**
     * Whether a process that died left containers or bundles under {@code stateDir}, in the root of any runtime:
     * cheap enough to ask at every open, so the runtime is only looked for when there is something to delete.
     */
    public static boolean hasLeftovers(Path stateDir) throws IOException {
        if (!Files.isDirectory(stateDir)) {
            return false;
        }
        try (Stream<Path> dirs = Files.list(stateDir)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                String name = dir.getFileName().toString();
                if ((name.equals("bundles") || name.endsWith("-state"))
                        && Files.isDirectory(dir)
                        && hasSubdirectory(dir)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A bundle, or a container in a runtime's root, is a directory; a runtime may keep other files there. */
    private static boolean hasSubdirectory(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.anyMatch(Files::isDirectory);
        }
    }

    /**
     * The runtime's root holds one directory per container it knows, running or not; a bundle names a container
     * that may not have been created yet. Deleting by force kills a container's init, and the kernel then kills
     * everything else in its pid namespace.
     */
    private void deleteLeftovers() throws IOException {
        Set<String> ids = new TreeSet<>();
        for (Path dir : List.of(runtimeRoot, bundles)) {
            try (Stream<Path> entries = Files.list(dir)) {
                entries.filter(Files::isDirectory)
                        .forEach(entry -> ids.add(entry.getFileName().toString()));
            }
        }
        for (String id : ids) {
            try {
                control("delete", "--force", id);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted deleting leftover container " + id, e);
            }
            Path bundle = bundles.resolve(id);
            if (Files.isDirectory(bundle)) {
                deleteBundle(bundle);
            }
        }
    }

    private static Optional<Path> executable(Path path) {
        return Files.isRegularFile(path) && Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
    }

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                Optional<Path> candidate = executable(Path.of(dir, name));
                if (candidate.isPresent()) {
                    return candidate;
                }
            }
        }
        return Optional.empty();
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
