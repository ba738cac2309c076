package dev.kiln.solver;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Evaluates build graphs: every vertex on its own virtual thread once its inputs are done, independent vertices in
 * parallel, each keyed by its op's key material and its inputs' keys or content (see {@link CacheKeys}), and taken
 * from the {@link CacheStore} when an earlier run recorded that key.
 *
 * <p>Work is shared, never repeated, while it is in flight: a vertex digest wanted twice in one graph, or by
 * concurrent solves on this solver, is one evaluation; vertices with different digests that arrive at the same cache
 * key at the same time run the op once. Once an evaluation finishes it is forgotten, so the next solve keys the
 * vertex afresh (a local source's files may have changed in between) and finds its results in the cache.
 *
 * <p>Failure stops a solve early: the failing vertex reports {@link ProgressEvent.VertexFailed}, its dependants never
 * run, the solve's other running vertices are interrupted (unless a concurrent solve still wants them), nothing is
 * recorded for the failed vertex, and {@link SolveException} names it. Interrupting the thread in {@code solve}
 * cancels the same way. Either way {@code solve} returns only after the vertices it stopped have ended.
 */
public final class Solver {

    final CacheStore cache;
    final ResultStore results;
    /** Evaluations in flight, by vertex digest. */
    private final ConcurrentMap<String, VertexEvaluation> evaluating = new ConcurrentHashMap<>();
    /** Lookups-or-runs in flight, by cache key (see {@link VertexEvaluation}). */
    final ConcurrentMap<String, CompletableFuture<VertexEvaluation.Made>> runs = new ConcurrentHashMap<>();

    public Solver(CacheStore cache, ResultStore results) {
        this.cache = Objects.requireNonNull(cache, "cache store");
        this.results = Objects.requireNonNull(results, "result store");
    }

    /** The cache this solver records results in (a disk usage listing reads it, a prune removes from it). */
    public CacheStore cache() {
        return cache;
    }

    /**
     * Evaluates the graph under the target and returns the output it names.
     *
     * @param listener receives this solve's progress; see {@link ProgressListener} for the threading rules
     * @throws SolveException if a vertex failed, the graph is malformed (a cycle, a vertex without digest, name,
     *                        inputs or operation), or the calling thread was interrupted, in which case
     *                        {@link SolveException#cancelled()} is true and the thread's interrupt status stays set
     */
    public SolveResult solve(Edge target, ProgressListener listener) throws SolveException {
        Objects.requireNonNull(target, "solve target");
        return solve(List.of(target), listener).getFirst();
    }

    /**
     * Evaluates the graphs under all targets as one solve (shared vertices evaluated once) and returns their
     * outputs in the same order. Fails, and cancels the rest, as soon as any vertex fails.
     *
     * @see #solve(Edge, ProgressListener)
     */
    public List<SolveResult> solve(List<Edge> targets, ProgressListener listener) throws SolveException {
        return solve(targets, listener, SolveCache.NONE);
    }

    /** As {@link #solve(Edge, ProgressListener)}, with the solve's own cache to import from and report to. */
    public SolveResult solve(Edge target, ProgressListener listener, SolveCache cache) throws SolveException {
        Objects.requireNonNull(target, "solve target");
        return solve(List.of(target), listener, cache).getFirst();
    }

    /**
     * As {@link #solve(List, ProgressListener)}; a step the local cache misses may come from {@code cache}, and
     * once the solve has succeeded every step of it is reported to {@code cache}, inputs first (when a step fails,
     * those that finished before it are).
     */
    public List<SolveResult> solve(List<Edge> targets, ProgressListener listener, SolveCache cache)
            throws SolveException {
        Objects.requireNonNull(targets, "solve targets");
        Objects.requireNonNull(listener, "progress listener");
        Objects.requireNonNull(cache, "solve cache");
        List<Vertex> order = GraphOrder.of(targets);
        var session = new ProgressSession(listener, cache);
        var held = new LinkedHashMap<String, VertexEvaluation>();
        boolean interrupted = false;
        try {
            for (Vertex vertex : order) {
                held.put(vertex.digest(), acquire(vertex, held, session));
            }
            List<VertexEvaluation> wanted =
                    targets.stream().map(t -> held.get(t.vertex().digest())).toList();
            VertexEvaluation.awaitAll(wanted);
            var solved = new ArrayList<SolveResult>(targets.size());
            for (int i = 0; i < targets.size(); i++) {
                solved.add(solved(targets.get(i), wanted.get(i), i));
            }
            report(held.values(), cache);
            return solved;
        } catch (InterruptedException e) {
            interrupted = true;
            throw SolveException.cancellation(e);
        } catch (VertexCancelled e) {
            throw SolveException.cancellation(e);
        } catch (VertexFailure failure) {
            // the steps that did finish are the build's too: a failed build can still say why they ran
            report(
                    held.values().stream()
                            .filter(evaluation -> evaluation.outcome().isDone()
                                    && !evaluation.outcome().isCompletedExceptionally())
                            .toList(),
                    cache);
            throw SolveException.vertexFailed(failure.vertexName(), failure.vertexDigest(), failure.getCause());
        } finally {
            VertexEvaluation.releaseAll(held.values());
            session.close();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Joins the evaluation of the vertex in flight, or starts one whose inputs are the solve's held evaluations. */
    private VertexEvaluation acquire(Vertex vertex, Map<String, VertexEvaluation> held, ProgressSession session) {
        var created = new VertexEvaluation[1];
        VertexEvaluation evaluation = evaluating.compute(vertex.digest(), (digest, running) -> {
            if (running != null && running.tryRetain()) {
                return running;
            }
            created[0] = new VertexEvaluation(this, vertex);
            return created[0];
        });
        evaluation.join(session);
        if (evaluation == created[0]) {
            var inputs = new ArrayList<VertexEvaluation>();
            for (Edge edge : vertex.inputs()) {
                VertexEvaluation input = held.get(edge.vertex().digest());
                // Inputs come first in the order and this solve holds them, so they cannot have been abandoned.
                if (!input.tryRetain()) {
                    throw new IllegalStateException("input \"" + edge.vertex().name() + "\" of vertex \""
                            + vertex.name() + "\" was abandoned while its solve held it");
                }
                inputs.add(input);
            }
            evaluation.start(inputs);
        }
        return evaluation;
    }

    private static SolveResult solved(Edge target, VertexEvaluation evaluation, int index) throws SolveException {
        VertexEvaluation.Evaluated evaluated = evaluation.outcome().resultNow();
        Vertex vertex = evaluation.vertex();
        try {
            Result result = evaluated.output(vertex, target.outputIndex(), "solve target " + index);
            return new SolveResult(result, CacheKeys.outputKey(evaluated.key(), target.outputIndex()));
        } catch (IllegalStateException e) {
            throw SolveException.vertexFailed(vertex.name(), vertex.digest(), e);
        }
    }

    /** Tells the solve's cache each step of the graph, in graph order (inputs first); all have finished. */
    private static void report(Collection<VertexEvaluation> evaluations, SolveCache cache) {
        for (VertexEvaluation evaluation : evaluations) {
            VertexEvaluation.Evaluated evaluated = evaluation.outcome().resultNow();
            cache.solved(new KeyedStep(
                    evaluated.key(),
                    evaluation.vertex().name(),
                    evaluated.inputs(),
                    evaluated.results(),
                    evaluated.created(),
                    evaluation.vertex().digest(),
                    evaluated.opKey(),
                    evaluated.notes(),
                    evaluated.ran()));
        }
    }

    /** Called by an evaluation that finished or was abandoned: the next request for its vertex starts afresh. */
    void forget(VertexEvaluation evaluation) {
        evaluating.remove(evaluation.vertex().digest(), evaluation);
    }
}
