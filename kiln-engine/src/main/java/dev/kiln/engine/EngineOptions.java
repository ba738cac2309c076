package dev.kiln.engine;

import java.nio.file.Path;

/**
 * Where the engine keeps its state and which container runtime it drives.
 *
 * @param stateDir snapshots, the build cache and checksums live here, and survive the process
 * @param runtime  {@code auto}, {@code runc}, {@code crun}, or a path to an OCI runtime binary
 */
public record EngineOptions(Path stateDir, String runtime) {

    public EngineOptions {
        stateDir = stateDir.toAbsolutePath().normalize();
        runtime = runtime == null || runtime.isBlank() ? "auto" : runtime;
    }

    /** The state directory a user gets without asking: $KILN_STATE, else /var/lib/kiln for root, else ~/.local/share/kiln. */
    public static EngineOptions defaults() {
        String fromEnv = System.getenv("KILN_STATE");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new EngineOptions(Path.of(fromEnv), "auto");
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = root ? Path.of("/var/lib/kiln") : Path.of(System.getProperty("user.home"), ".local", "share", "kiln");
        return new EngineOptions(dir, "auto");
    }

    public EngineOptions withStateDir(Path dir) {
        return new EngineOptions(dir, runtime);
    }

    public EngineOptions withRuntime(String name) {
        return new EngineOptions(stateDir, name);
    }
}
