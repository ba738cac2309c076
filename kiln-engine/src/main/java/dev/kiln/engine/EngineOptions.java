package dev.kiln.engine;

import java.nio.file.Path;

/**
 * Where the engine keeps its state, which container runtime it drives, and which registries it
 * may reach over plain HTTP.
 *
 * @param stateDir           snapshots, the build cache and checksums live here, and survive the process
 * @param runtime            {@code auto}, {@code runc}, {@code crun}, or a path to an OCI runtime binary
 * @param insecureRegistries hosts (host or host:port) spoken to over HTTP; loopback registries always are
 */
public record EngineOptions(Path stateDir, String runtime, java.util.Set<String> insecureRegistries) {

    public EngineOptions {
        stateDir = stateDir.toAbsolutePath().normalize();
        runtime = runtime == null || runtime.isBlank() ? "auto" : runtime;
        insecureRegistries = java.util.Set.copyOf(insecureRegistries == null ? java.util.Set.of() : insecureRegistries);
    }

    public EngineOptions(Path stateDir, String runtime) {
        this(stateDir, runtime, java.util.Set.of());
    }

    public EngineOptions withInsecureRegistries(java.util.Set<String> hosts) {
        return new EngineOptions(stateDir, runtime, hosts);
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
        return new EngineOptions(dir, runtime, insecureRegistries);
    }

    public EngineOptions withRuntime(String name) {
        return new EngineOptions(stateDir, name, insecureRegistries);
    }
}
