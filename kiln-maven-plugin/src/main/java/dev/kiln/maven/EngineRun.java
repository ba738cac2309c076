package dev.kiln.maven;

import dev.kiln.api.DaemonEndpoint;
import dev.kiln.engine.BuildException;
import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineOptions;
import dev.kiln.engine.FrontendSpec;
import dev.kiln.engine.Frontends;
import dev.kiln.engine.Warning;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.SessionClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.logging.Log;

/**
 * One build on Kiln's engine, embedded in Maven's JVM: opens the engine on the state directory (Kiln's default,
 * {@code /var/lib/kiln} for root, or {@code <stateDir>}), runs the goal's build with the plugin's registry
 * credentials, shows each step on Maven's log, and closes the engine so that the next build (or {@code kiln}) can open
 * the state.
 *
 * <p>A Kiln daemon keeps its state's engine open for as long as it runs, so an embedded engine cannot open that state:
 * the plugin then builds through the daemon ({@link DaemonRun}), unless {@code <daemon>false} forces the embedded
 * engine, when this says which daemon holds the state and how to stop it, instead of waiting for a lock that never
 * comes free.
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

    /** Runs {@code build} on a fresh engine, its registry access with {@code credentials}. */
    BuiltImage run(GoalBuild build, CredentialSource credentials) throws MojoExecutionException {
        Path state = stateDir();
        refuseDaemon(state);
        EngineOptions options = EngineOptions.defaults()
                .withStateDir(state)
                .withInsecureRegistries(insecureRegistries)
                .withStateTimeout(stateTimeout);
        ClassLoader loader = EngineRun.class.getClassLoader();
        long started = System.nanoTime();
        try (Engine engine = Engine.open(options, Frontends.discover(loader), notice -> log.info("kiln: " + notice))) {
            BuildRequest request = request(build);
            BuildSession session = new BuildSession(
                    UUID.randomUUID().toString(),
                    SessionClient.local(request.localDirs(), request.secrets(), request.sshSockets(), credentials));
            BuildOutcome outcome = engine.build(request, session, new LogProgress(log));
            for (Warning warning : outcome.warnings()) {
                log.warn("kiln: " + warning.message());
            }
            log.info(String.format("kiln: built in %.1fs (state %s)", (System.nanoTime() - started) / 1e9, state));
            Map<String, String> facts = new LinkedHashMap<>();
            outcome.result()
                    .metadata()
                    .forEach((key, value) -> facts.put(key, new String(value, StandardCharsets.UTF_8)));
            return new BuiltImage(facts);
        } catch (BuildException e) {
            throw BuildFailure.of(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MojoExecutionException("kiln: interrupted", e);
        } catch (IOException e) {
            throw new MojoExecutionException("kiln: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new MojoExecutionException("kiln: " + e.getMessage(), e);
        }
    }

    private static BuildRequest request(GoalBuild build) {
        FrontendSpec frontend = switch (build.frontend()) {
            case GoalBuild.Frontend.Function function ->
                new FrontendSpec.Function(function.name(), function.function());
            case GoalBuild.Frontend.Named named -> new FrontendSpec.Named(named.name());
        };
        List<ExportTarget> targets = new ArrayList<>();
        for (ImageOutput output : build.outputs()) {
            targets.add(output.exportTarget());
        }
        return new BuildRequest(frontend, build.frontendAttrs(), build.locals(), targets);
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
                            + "; the plugin was told to run Kiln's engine inside Maven (<daemon>false), which cannot open a "
                            + "state a daemon holds. Stop the "
                            + "daemon with `kiln daemon stop` (the next `kiln build` starts it again), build through it "
                            + "(drop <daemon>false / -Dkiln.daemon=false), or give the plugin a state of its own with "
                            + "<stateDir> or -Dkiln.stateDir=DIR");
        }
    }
}
