package dev.kiln.engine.gateway;

import dev.kiln.engine.Entitlement;
import dev.kiln.engine.Frontends;
import dev.kiln.engine.Warning;
import dev.kiln.engine.cache.BuildCache;
import dev.kiln.engine.export.EarlyLayers;
import dev.kiln.gateway.BuildOpts;
import dev.kiln.gateway.Container;
import dev.kiln.llb.LlbGraph;
import dev.kiln.solver.ProgressListener;
import dev.kiln.solver.Solver;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import dev.kiln.worker.ops.FailedStep;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What every gateway client of one build shares: the engine's parts, the build's session (its
 * local directories), the privileges its steps were granted, where progress goes and the warnings
 * raised so far, and the build's own cache (the imports its steps may come from, the steps it solved).
 */
public record BuildContext(
        Solver solver,
        Worker worker,
        Frontends frontends,
        BuildSession session,
        BuildOpts buildOpts,
        Set<Entitlement> entitlements,
        ProgressListener progress,
        List<Warning> warnings,
        List<Container> containers,
        List<LlbGraph> graphs,
        BuildCache cache,
        List<FailedStep> failures,
        EarlyLayers earlyLayers,
        ImageResolutions imageResolutions) {

    /**
     * {@code graphs} collects every definition the build solved, so a step can be found again to debug it;
     * {@code failures} the RUN steps that failed, whose files a client may still open ({@link SolveErrors}) until the
     * build ends; {@code earlyLayers} writes the layers the build's outputs need while its steps run (none when
     * null); {@code imageResolutions} the images its frontends resolved (a new, empty set when null). Making the
     * context begins the build for the worker: what it uses is in use until {@link #releaseContainers}.
     */
    public BuildContext {
        worker.beginBuild(session.id());
        entitlements = Set.copyOf(entitlements);
        warnings = warnings == null ? new CopyOnWriteArrayList<>() : warnings;
        containers = containers == null ? new CopyOnWriteArrayList<>() : containers;
        graphs = graphs == null ? new CopyOnWriteArrayList<>() : graphs;
        cache = cache == null ? new BuildCache(List.of()) : cache;
        failures = failures == null ? new CopyOnWriteArrayList<>() : failures;
        earlyLayers = earlyLayers == null ? EarlyLayers.none() : earlyLayers;
        imageResolutions = imageResolutions == null ? new ImageResolutions() : imageResolutions;
    }

    /**
     * Releases the containers a frontend left running: a build's end frees every mount it made, and ends the
     * build's hold on the snapshots it used, which a prune may remove from now on.
     */
    public void releaseContainers() {
        for (Container container : containers) {
            try {
                container.release();
            } catch (RuntimeException | InterruptedException e) {
                warnings.add(new Warning(
                        "", "could not release a container: " + e.getMessage(), dev.kiln.gateway.WarnOpts.none()));
            }
        }
        containers.clear();
        forgetFailures();
        worker.endBuild(session.id());
    }

    /** Removes the files the failed steps' processes left, which nobody can open once the build is over. */
    private void forgetFailures() {
        for (FailedStep step : failures) {
            boolean isInput = step.inputs().stream()
                    .anyMatch(input -> input.id().equals(step.root().id()));
            if (step.root().isScratch() || isInput) {
                continue;
            }
            try {
                worker.snapshotter().remove(step.root().id());
            } catch (java.io.IOException ignored) {
                // an unremoved snapshot costs disk space until pruned, nothing else
            }
        }
        failures.clear();
    }
}
