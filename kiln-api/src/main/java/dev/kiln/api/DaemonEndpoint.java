package dev.kiln.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/**
 * Where the daemon of a state directory listens, and how a client finds it: one daemon serves one state directory,
 * and records its pid and address in {@code daemon.properties} there while it runs.
 *
 * <p>The default state's daemon listens where BuildKit users look for a build daemon's socket
 * ({@code /run/kiln/kiln.sock} for root, {@code $XDG_RUNTIME_DIR/kiln/kiln.sock} otherwise); any other state's
 * daemon listens on {@code kiln.sock} inside the state, so tests and users with several states never share a
 * socket by accident.
 *
 * @param stateDir the state directory the daemon serves
 * @param address  {@code unix:///PATH} or {@code tcp://HOST:PORT}
 * @param pid      the daemon's process id, or -1 when it is not known (no daemon has recorded itself)
 * @param code     names the build of Kiln the daemon runs ({@link #codeStamp()}) when a client started it, else empty
 */
public record DaemonEndpoint(Path stateDir, String address, long pid, String code) {

    public DaemonEndpoint(Path stateDir, String address, long pid) {
        this(stateDir, address, pid, "");
    }

    /**
     * Names the build of Kiln this process runs: its class path's files with their sizes and times. A client whose
     * stamp differs from its daemon's was built since the daemon started (the jars it runs from have been
     * rewritten under it), so it replaces the daemon rather than talk to old code.
     */
    public static String codeStamp() {
        StringBuilder files = new StringBuilder();
        for (String entry : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path path = Path.of(entry);
            files.append(entry);
            try {
                files.append(' ')
                        .append(Files.size(path))
                        .append(' ')
                        .append(Files.getLastModifiedTime(path).toMillis());
            } catch (IOException missing) {
                files.append(" missing");
            }
            files.append('\n');
        }
        // CRC-32 and String's hash, 64 bits between them: enough to tell builds apart, and unlike SHA-256 they
        // need no security provider, whose start cost a client 10 ms
        String stamp = files.toString();
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(stamp.getBytes(StandardCharsets.UTF_8));
        // the 32 bits of each, as 16 hex digits (String.format would start java.util.Formatter on the client's path)
        String hex = Long.toHexString(crc.getValue() << 32 | (stamp.hashCode() & 0xFFFFFFFFL));
        return "0".repeat(16 - hex.length()) + hex;
    }

    public static final String RECORD_FILE = "daemon.properties";

    /** Set to 1 in the environment of a daemon that a client started for its build. */
    public static final String AUTOSTARTED = "KILN_DAEMON_AUTOSTARTED";

    /** The state directory a user gets without asking: $KILN_STATE, else /var/lib/kiln for root, else ~/.local/share/kiln. */
    public static Path defaultStateDir() {
        String fromEnv = System.getenv("KILN_STATE");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv);
        }
        return isRoot()
                ? Path.of("/var/lib/kiln")
                : Path.of(System.getProperty("user.home"), ".local", "share", "kiln");
    }

    /** The address a daemon of {@code stateDir} listens on when not told otherwise. */
    public static String defaultAddress(Path stateDir) {
        Path state = stateDir.toAbsolutePath().normalize();
        boolean defaultState = state.equals(defaultStateDir().toAbsolutePath().normalize());
        if (!defaultState) {
            return "unix://" + state.resolve("kiln.sock");
        }
        if (isRoot()) {
            return "unix:///run/kiln/kiln.sock";
        }
        String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtimeDir != null && !runtimeDir.isBlank() ? Path.of(runtimeDir) : state;
        return "unix://" + base.resolve("kiln").resolve("kiln.sock");
    }

    /** The unix socket's path of a {@code unix://} address. */
    public static Optional<Path> socketPath(String address) {
        return address.startsWith("unix://")
                ? Optional.of(Path.of(address.substring("unix://".length())))
                : Optional.empty();
    }

    /** The daemon that recorded itself in {@code stateDir}, if its process still runs. */
    public static Optional<DaemonEndpoint> running(Path stateDir) throws IOException {
        Path file = stateDir.resolve(RECORD_FILE);
        Properties properties = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(properties.getProperty("pid", "-1"));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        String address = properties.getProperty("address");
        if (address == null
                || pid <= 0
                || !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return Optional.empty();
        }
        return Optional.of(new DaemonEndpoint(stateDir, address, pid, properties.getProperty("code", "")));
    }

    /** Records this process as the daemon of its state (atomically: a reader never sees half a record). */
    public void record() throws IOException {
        Properties properties = new Properties();
        properties.setProperty("pid", Long.toString(pid));
        properties.setProperty("address", address);
        properties.setProperty("code", code);
        Files.createDirectories(stateDir);
        Path file = stateDir.resolve(RECORD_FILE);
        Path temp = Files.createTempFile(stateDir, RECORD_FILE, ".tmp");
        try (var out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
            properties.store(out, "the kiln daemon serving this state");
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Stops this daemon as {@code kiln daemon stop} does: SIGTERM (it cancels its builds and removes its record and
     * socket), then SIGKILL when it has not ended within {@code grace}.
     *
     * @return false when the daemon had to be killed
     */
    public boolean stop(java.time.Duration grace) throws InterruptedException {
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty()) {
            return true;
        }
        process.get().destroy();
        try {
            process.get().onExit().get(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            process.get().destroyForcibly();
            process.get().onExit().join();
            return false;
        }
    }

    /** Removes the record, if it is still this daemon's (a successor may have written its own). */
    public void forget() throws IOException {
        Optional<DaemonEndpoint> current = running(stateDir);
        if (current.isEmpty() || current.get().pid() == pid) {
            Files.deleteIfExists(stateDir.resolve(RECORD_FILE));
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
