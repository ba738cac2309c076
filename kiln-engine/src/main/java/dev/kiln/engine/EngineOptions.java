package dev.kiln.engine;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where the engine keeps its state, which container runtime it drives, and which registries it
 * may reach over plain HTTP.
 *
 * @param stateDir           snapshots, the build cache and checksums live here, and survive the process
 * @param runtime            {@code auto}, {@code runc}, {@code crun}, or a path to an OCI runtime binary
 * @param insecureRegistries hosts (host or host:port) spoken to over HTTP; loopback registries always are
 * @param stateTimeout       how long {@link Engine#open} waits for another process's engine to release the state
 *                           directory before it fails
 * @param gc                 whether {@link Engine#collectGarbage} removes anything (buildkitd's {@code gc = false}
 *                           turns it off)
 * @param gcPolicies         what {@link Engine#collectGarbage} runs, in order; none: {@link GcPolicy#defaults(long)}
 *                           for the state's file system
 * @param backgroundSaves    whether a build's end saves what the worker learnt (file checksums, uses) behind the
 *                           build instead of before it returns: a daemon's clients wait for less, and
 *                           {@link Engine#close} saves what is left
 */
public record EngineOptions(
        Path stateDir,
        String runtime,
        java.util.Set<String> insecureRegistries,
        Duration stateTimeout,
        boolean gc,
        java.util.List<GcPolicy> gcPolicies,
        boolean backgroundSaves) {

    /** Long enough for another build on the same state to finish; short enough that a stuck one is noticed. */
    public static final Duration DEFAULT_STATE_TIMEOUT = Duration.ofMinutes(30);

    public EngineOptions {
        stateDir = stateDir.toAbsolutePath().normalize();
        runtime = runtime == null || runtime.isBlank() ? "auto" : runtime;
        insecureRegistries = java.util.Set.copyOf(insecureRegistries == null ? java.util.Set.of() : insecureRegistries);
        stateTimeout = stateTimeout == null ? DEFAULT_STATE_TIMEOUT : stateTimeout;
        if (stateTimeout.isNegative()) {
            throw new IllegalArgumentException("state timeout " + stateTimeout + " is negative");
        }
        gcPolicies = java.util.List.copyOf(gcPolicies == null ? java.util.List.of() : gcPolicies);
    }

    public EngineOptions(
            Path stateDir, String runtime, java.util.Set<String> insecureRegistries, Duration stateTimeout) {
        this(stateDir, runtime, insecureRegistries, stateTimeout, true, java.util.List.of(), false);
    }

    public EngineOptions(Path stateDir, String runtime) {
        this(stateDir, runtime, java.util.Set.of(), DEFAULT_STATE_TIMEOUT);
    }

    public EngineOptions withInsecureRegistries(java.util.Set<String> hosts) {
        return new EngineOptions(stateDir, runtime, hosts, stateTimeout, gc, gcPolicies, backgroundSaves);
    }

    public EngineOptions withStateTimeout(Duration timeout) {
        return new EngineOptions(stateDir, runtime, insecureRegistries, timeout, gc, gcPolicies, backgroundSaves);
    }

    /** Garbage collection on or off. */
    public EngineOptions withGc(boolean on) {
        return new EngineOptions(stateDir, runtime, insecureRegistries, stateTimeout, on, gcPolicies, backgroundSaves);
    }

    /** The policies garbage collection runs, in order; an empty list for the defaults. */
    public EngineOptions withGcPolicies(java.util.List<GcPolicy> policies) {
        return new EngineOptions(stateDir, runtime, insecureRegistries, stateTimeout, gc, policies, backgroundSaves);
    }

    /** Saves behind each build's end (a daemon's choice), or before it returns. */
    public EngineOptions withBackgroundSaves(boolean on) {
        return new EngineOptions(stateDir, runtime, insecureRegistries, stateTimeout, gc, gcPolicies, on);
    }

    /** The state directory a user gets without asking: $KILN_STATE, else /var/lib/kiln for root, else ~/.local/share/kiln. */
    public static EngineOptions defaults() {
        String fromEnv = System.getenv("KILN_STATE");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new EngineOptions(Path.of(fromEnv), "auto");
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir =
                root ? Path.of("/var/lib/kiln") : Path.of(System.getProperty("user.home"), ".local", "share", "kiln");
        return new EngineOptions(dir, "auto");
    }

    public EngineOptions withStateDir(Path dir) {
        return new EngineOptions(dir, runtime, insecureRegistries, stateTimeout, gc, gcPolicies, backgroundSaves);
    }

    public EngineOptions withRuntime(String name) {
        return new EngineOptions(stateDir, name, insecureRegistries, stateTimeout, gc, gcPolicies, backgroundSaves);
    }
}
