package dev.kiln.maven;

import dev.kiln.api.DaemonEndpoint;
import dev.kiln.engine.BuildException;
import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineOptions;
import dev.kiln.engine.Frontends;
import dev.kiln.engine.Warning;
import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.solver.ProgressEvent;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.SessionClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.logging.Log;

/**
 * One build on Kiln's engine, embedded in Maven's JVM: opens the engine on the state directory (Kiln's default,
 * {@code /var/lib/kiln} for root, or {@code <stateDir>}), runs the request with the plugin's registry credentials,
 * shows each step on Maven's log, and closes the engine so that the next build (or {@code kiln}) can open the state.
 *
 * <p>A Kiln daemon keeps its state's engine open for as long as it runs, so an embedded engine cannot open that
 * state. The daemon's client ({@code kiln build}) is part of the command line, not a library, and a build function
 * would run through the daemon only as a forwarded frontend without this process's credentials; so the plugin says
 * which daemon holds the state and how to stop it, instead of waiting for a lock that never comes free.
 */
final class EngineRun {

    private final Path stateDir;
    private final Set<String> insecureRegistries;
    private final Duration stateTimeout;
    private final Log log;

    EngineRun(Path stateDir, Set<String> insecureRegistries, Duration stateTimeout, Log log) {
        this.stateDir = stateDir != null ? stateDir : EngineOptions.defaults().stateDir();
        this.insecureRegistries = Set.copyOf(insecureRegistries);
        this.stateTimeout = stateTimeout;
        this.log = log;
    }

    Path stateDir() {
        return stateDir.toAbsolutePath().normalize();
    }

    /** Runs {@code request} on a fresh engine, its registry access with {@code credentials}. */
    BuildOutcome run(BuildRequest request, CredentialSource credentials) throws MojoExecutionException {
        Path state = stateDir();
        refuseDaemon(state);
        EngineOptions options = EngineOptions.defaults()
                .withStateDir(state)
                .withInsecureRegistries(insecureRegistries)
                .withStateTimeout(stateTimeout);
        ClassLoader loader = EngineRun.class.getClassLoader();
        long started = System.nanoTime();
        try (Engine engine = Engine.open(options, Frontends.discover(loader), notice -> log.info("kiln: " + notice))) {
            BuildSession session = new BuildSession(
                    UUID.randomUUID().toString(),
                    SessionClient.local(request.localDirs(), request.secrets(), request.sshSockets(), credentials));
            BuildOutcome outcome = engine.build(request, session, new LogProgress(log));
            for (Warning warning : outcome.warnings()) {
                log.warn("kiln: " + warning.message());
            }
            log.info(String.format("kiln: built in %.1fs (state %s)", (System.nanoTime() - started) / 1e9, state));
            return outcome;
        } catch (BuildException e) {
            throw new MojoExecutionException("kiln: the image build failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MojoExecutionException("kiln: interrupted", e);
        } catch (IOException e) {
            throw new MojoExecutionException("kiln: " + e.getMessage(), e);
        }
    }

    private static void refuseDaemon(Path state) throws MojoExecutionException {
        Optional<DaemonEndpoint> daemon;
        try {
            daemon = DaemonEndpoint.running(state);
        } catch (IOException e) {
            return; // an unreadable record: the engine's own lock still tells whether the state is free
        }
        if (daemon.isPresent()) {
            throw new MojoExecutionException(
                    "kiln: a Kiln daemon (pid " + daemon.get().pid() + ", "
                            + daemon.get().address() + ") holds the state " + state
                            + "; the plugin runs Kiln's engine inside Maven and cannot open a state a daemon holds. Stop the "
                            + "daemon with `kiln daemon stop` (the next `kiln build` starts it again), or give the plugin "
                            + "a state of its own with <stateDir> or -Dkiln.stateDir=DIR");
        }
    }

    /** Each step on Maven's log as it starts, comes from the cache, finishes or fails; a RUN step's output too. */
    private record LogProgress(Log log) implements ProgressListener {
        @Override
        public void onEvent(ProgressEvent event) {
            Consumer<String> info = log::info;
            switch (event) {
                case ProgressEvent.VertexCached cached -> info.accept("kiln: CACHED " + cached.vertexName());
                case ProgressEvent.VertexStarted started -> {
                    if (log.isDebugEnabled()) {
                        log.debug("kiln: started " + started.vertexName());
                    }
                }
                case ProgressEvent.VertexCompleted done ->
                    info.accept(
                            String.format("kiln: DONE %.1fs %s", done.duration().toNanos() / 1e9, done.vertexName()));
                case ProgressEvent.VertexFailed failed ->
                    log.error("kiln: FAILED " + failed.vertexName() + ": " + failed.message());
                case ProgressEvent.VertexLog output -> {
                    for (String line : new String(output.data(), StandardCharsets.UTF_8).split("\n")) {
                        if (!line.isBlank()) {
                            info.accept("kiln: " + output.vertexName() + " | " + line);
                        }
                    }
                }
                case ProgressEvent.VertexWarning warning ->
                    log.warn("kiln: " + warning.vertexName() + ": " + warning.message());
                default -> {}
            }
        }
    }
}
