package dev.kiln.solver;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * One evaluation of one vertex on its own virtual thread, shared by every solve and dependant that wants that vertex
 * while it runs: wait for the inputs, compute the cache key, then reuse cached results or run the op and record them.
 *
 * <p>Lifetime is counted in holds: each solve that wants it and each dependant evaluation retains it once and
 * releases it once. When the last hold goes before it has finished, it is abandoned: its thread is interrupted and it
 * ends as {@link VertexCancelled}. Whoever abandoned it awaits its termination, and it awaits the inputs it abandons
 * in turn, so a cancelled or failed solve returns only after the ops it alone wanted have stopped. Another solve
 * still holding it keeps it running.
 */
final class VertexEvaluation implements Runnable {

    /**
     * The outcome of a finished evaluation: the vertex's cache key, how its inputs contributed to it, its results
     * (one per output) and when they were made, the op's own key material and its notes, and whether the op ran.
     */
    record Evaluated(
            String key,
            List<KeyedStep.StepInput> inputs,
            List<Result> results,
            Instant created,
            String opKey,
            java.util.Map<String, String> notes,
            boolean ran) {

        /** One output, for a consumer described by {@code consumer} (which gets the blame if it does not exist). */
        Result output(Vertex producer, int index, String consumer) {
            if (index >= results.size()) {
                throw new IllegalStateException(consumer + " asks for output " + index + " of vertex \""
                        + producer.name() + "\" (" + producer.digest() + "), which has " + results.size()
                        + (results.size() == 1 ? " output" : " outputs"));
            }
            return results.get(index);
        }
    }

    /** How many combinations of known input checksums a step's key is tried with before its inputs are hashed. */
    private static final int MAX_GUESSES = 64;

    private final Solver solver;
    private final Vertex vertex;
    private final CompletableFuture<Evaluated> outcome = new CompletableFuture<>();
    /** Completes (never exceptionally) when the evaluation's thread has ended, or it ended before it had one. */
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    // Guarded by this.
    private int holds = 1;
    private boolean abandoned;
    private boolean started;
    private Thread thread;
    private List<VertexEvaluation> inputs = List.of();
    private final Set<ProgressSession> sessions = new LinkedHashSet<>();
    /** Every event but logs, replayed to a solve that joins late, so its display still sees this vertex's state. */
    private final List<ProgressEvent> history = new ArrayList<>();

    /** A new evaluation, held once by its creator, not yet started. */
    VertexEvaluation(Solver solver, Vertex vertex) {
        this.solver = solver;
        this.vertex = vertex;
    }

    Vertex vertex() {
        return vertex;
    }

    /** Settles when the evaluation has ended; exceptionally only as a VertexFailure or a VertexCancelled. */
    CompletableFuture<Evaluated> outcome() {
        return outcome;
    }

    /** Adds a hold, unless the evaluation was already abandoned (a new one must be made then). */
    synchronized boolean tryRetain() {
        if (abandoned) {
            return false;
        }
        holds++;
        return true;
    }

    /**
     * Lets go of one hold. Returns true when that abandoned the evaluation: the caller must then
     * {@link #awaitTermination()} before it considers its own work stopped.
     */
    boolean release() {
        Thread running;
        synchronized (this) {
            if (abandoned || --holds > 0) {
                return false;
            }
            abandoned = true;
            running = thread;
        }
        solver.forget(this);
        if (running == null) {
            outcome.completeExceptionally(new VertexCancelled());
            terminated.complete(null);
            return false;
        }
        running.interrupt();
        return true;
    }

    /**
     * Waits, deaf to interrupts (it is how cancellation finishes), for the evaluation's thread to end; an interrupt
     * that came meanwhile is kept for the caller, as {@link CompletableFuture#join} does.
     */
    void awaitTermination() {
        terminated.join();
    }

    /**
     * Lets go of one hold on each evaluation, then awaits those that this abandoned: all are released before any is
     * awaited, so they stop side by side, and none outlives the holder's own work.
     */
    static void releaseAll(Collection<VertexEvaluation> held) {
        var abandoned = new ArrayList<VertexEvaluation>();
        for (VertexEvaluation evaluation : held) {
            if (evaluation.release()) {
                abandoned.add(evaluation);
            }
        }
        for (VertexEvaluation evaluation : abandoned) {
            evaluation.awaitTermination();
        }
    }

    /** Starts evaluating, taking over one hold on each input (in the order of the vertex's inputs). */
    void start(List<VertexEvaluation> heldInputs) {
        synchronized (this) {
            inputs = List.copyOf(heldInputs);
            if (!abandoned) {
                String name = vertex.name();
                thread = Thread.ofVirtual()
                        .name("kiln vertex " + (name.length() > 80 ? name.substring(0, 80) : name))
                        .start(this);
                return;
            }
        }
        for (VertexEvaluation input : heldInputs) {
            if (input.release()) {
                input.awaitTermination();
            }
        }
    }

    /**
     * Sends this vertex's events to one more solve, starting with what already happened. A solve whose listener
     * already hears of this vertex through another open solve (two solves of one build, one per platform, sharing a
     * step) is not told twice: its listener sees the step start, log and finish once, as it ran once.
     */
    synchronized void join(ProgressSession session) {
        if (sessions.add(session) && heardElsewhere(session) == null) {
            for (ProgressEvent event : history) {
                session.deliver(event);
            }
        }
    }

    synchronized void emit(ProgressEvent event) {
        if (event instanceof ProgressEvent.VertexStarted) {
            started = true;
        }
        if (!(event instanceof ProgressEvent.VertexLog)) {
            history.add(event);
        }
        for (ProgressSession session : sessions) {
            if (heardElsewhere(session) == null) {
                session.deliver(event);
            }
        }
    }

    /** The open session before {@code session} in join order that reports to the same listener, or null. */
    private ProgressSession heardElsewhere(ProgressSession session) {
        for (ProgressSession other : sessions) {
            if (other == session) {
                return null;
            }
            if (other.sharesListenerWith(session) && other.open()) {
                return other;
            }
        }
        return null;
    }

    @Override
    public void run() {
        Evaluated evaluated = null;
        Exception stop = null;
        try {
            evaluated = evaluate();
        } catch (Throwable t) {
            // Errors too: the outcome must settle, or every dependant waits forever.
            stop = settle(t);
        }
        solver.forget(this);
        List<VertexEvaluation> held;
        synchronized (this) {
            held = inputs;
        }
        releaseAll(held);
        if (stop == null) {
            outcome.complete(evaluated);
        } else {
            outcome.completeExceptionally(stop);
        }
        terminated.complete(null);
    }

    /**
     * Waits until every evaluation has succeeded, or throws the first failure as soon as it happens, so that one
     * failed branch stops the others without waiting for them.
     */
    static void awaitAll(List<VertexEvaluation> evaluations)
            throws InterruptedException, VertexFailure, VertexCancelled {
        if (evaluations.isEmpty()) {
            return;
        }
        var firstFailure = new CompletableFuture<Void>();
        var outcomes = new CompletableFuture<?>[evaluations.size()];
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = evaluations.get(i).outcome;
            outcomes[i].whenComplete((result, failure) -> {
                if (failure != null) {
                    firstFailure.completeExceptionally(failure);
                }
            });
        }
        try {
            CompletableFuture.anyOf(CompletableFuture.allOf(outcomes), firstFailure)
                    .get();
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case VertexFailure failure -> throw failure;
                case VertexCancelled cancelled -> throw cancelled;
                default -> throw new IllegalStateException("an evaluation ended without a verdict", e.getCause());
            }
        }
    }

    private Evaluated evaluate() throws Exception {
        List<VertexEvaluation> held;
        synchronized (this) {
            held = inputs;
        }
        awaitAll(held);
        var context = new VertexContext(this, vertex);
        CacheMap cacheMap = vertex.operation().cacheMap(context);
        List<Edge> edges = vertex.inputs();
        if (cacheMap == null) {
            throw new IllegalStateException("the operation gave no cache map");
        }
        if (cacheMap.inputKeys().size() != edges.size()) {
            throw new IllegalStateException(
                    "the cache map has " + cacheMap.inputKeys().size() + " input keys for " + edges.size() + " inputs");
        }
        var inputResults = new ArrayList<Result>(edges.size());
        var contributions = new ArrayList<String>(edges.size());
        var checksums = new String[edges.size()];
        var known = new LinkedHashMap<Integer, Set<String>>();
        for (int i = 0; i < edges.size(); i++) {
            Edge edge = edges.get(i);
            Evaluated input = held.get(i).outcome.resultNow();
            Result result = input.output(edge.vertex(), edge.outputIndex(), "input " + i);
            inputResults.add(result);
            switch (cacheMap.inputKeys().get(i)) {
                case InputKey.ByCacheKey byKey ->
                    contributions.add(CacheKeys.byCacheKey(CacheKeys.outputKey(input.key(), edge.outputIndex())));
                case InputKey.ByContent byContent -> {
                    Set<String> candidates = knownChecksums(result);
                    if (candidates.isEmpty()) {
                        checksums[i] = contentChecksum(result, byContent, i);
                    } else {
                        known.put(i, candidates);
                    }
                    contributions.add(checksums[i] == null ? null : CacheKeys.byContent(checksums[i]));
                }
            }
        }
        if (!known.isEmpty()) {
            confirmedChecksums(cacheMap.digest(), contributions, inputResults, known, checksums);
        }
        var stepInputs = new ArrayList<KeyedStep.StepInput>(edges.size());
        for (int i = 0; i < edges.size(); i++) {
            Edge edge = edges.get(i);
            String inputKey = held.get(i).outcome.resultNow().key();
            if (cacheMap.inputKeys().get(i) instanceof InputKey.ByContent byContent) {
                if (checksums[i] == null) {
                    checksums[i] = contentChecksum(inputResults.get(i), byContent, i);
                    contributions.set(i, CacheKeys.byContent(checksums[i]));
                }
                stepInputs.add(new KeyedStep.StepInput.Content(
                        inputKey, edge.outputIndex(), checksums[i], byContent.selectors()));
            } else {
                stepInputs.add(new KeyedStep.StepInput.Linked(inputKey, edge.outputIndex()));
            }
        }
        String key = CacheKeys.vertexKey(cacheMap.digest(), contributions);
        Made made = runOnce(key, context, List.copyOf(inputResults));
        return new Evaluated(
                key,
                List.copyOf(stepInputs),
                made.results(),
                made.created(),
                cacheMap.digest(),
                cacheMap.notes(),
                made.ran());
    }

    /** Results and when they were made: now for a run, the record's time for a cache hit; ran for a run. */
    record Made(List<Result> results, Instant created, boolean ran) {

        Made(List<Result> results, Instant created) {
            this(results, created, false);
        }
    }

    /** The checksums the solves' caches know for an input they gave out (see {@link SolveCache#knownChecksums}). */
    private Set<String> knownChecksums(Result input) {
        Set<String> known = new LinkedHashSet<>();
        for (ProgressSession session : sessionsNow()) {
            known.addAll(session.cache().knownChecksums(input));
        }
        return known;
    }

    /**
     * Tries the known checksums of the inputs in {@code known} (at most {@link #MAX_GUESSES} combinations) and fills
     * {@code checksums} with the first combination a solve's cache confirms for the key it makes; inputs it cannot
     * confirm stay null, to be hashed.
     */
    private void confirmedChecksums(
            String cacheMapDigest,
            List<String> contributions,
            List<Result> inputs,
            Map<Integer, Set<String>> known,
            String[] checksums) {
        List<Integer> slots = List.copyOf(known.keySet());
        List<List<String>> combinations = new ArrayList<>();
        combinations.add(List.of());
        for (Integer slot : slots) {
            List<List<String>> longer = new ArrayList<>();
            for (List<String> combination : combinations) {
                for (String checksum : known.get(slot)) {
                    if (longer.size() < MAX_GUESSES) {
                        var extended = new ArrayList<>(combination);
                        extended.add(checksum);
                        longer.add(extended);
                    }
                }
            }
            combinations = longer;
        }
        List<ProgressSession> asked = sessionsNow();
        for (List<String> combination : combinations) {
            var guessed = new ArrayList<>(contributions);
            for (int s = 0; s < slots.size(); s++) {
                guessed.set(slots.get(s), CacheKeys.byContent(combination.get(s)));
            }
            String key = CacheKeys.vertexKey(cacheMapDigest, guessed);
            boolean confirmed = true;
            for (int s = 0; s < slots.size() && confirmed; s++) {
                int slot = slots.get(s);
                String checksum = combination.get(s);
                confirmed = asked.stream()
                        .anyMatch(session -> session.cache().confirms(key, slot, inputs.get(slot), checksum));
            }
            if (confirmed) {
                for (int s = 0; s < slots.size(); s++) {
                    checksums[slots.get(s)] = combination.get(s);
                    contributions.set(slots.get(s), guessed.get(slots.get(s)));
                }
                return;
            }
        }
    }

    private synchronized List<ProgressSession> sessionsNow() {
        return List.copyOf(sessions);
    }

    private String contentChecksum(Result input, InputKey.ByContent byContent, int index) throws Exception {
        String checksum = solver.results.contentChecksum(input, byContent.selectors());
        if (checksum == null) {
            throw new IllegalStateException(
                    "the result store gave no content checksum for input " + index + " (result " + input.id() + ")");
        }
        return checksum;
    }

    /**
     * Looks up or runs the vertex, unless another vertex with the same key is doing so right now: then its results
     * are this vertex's too. A vertex that ignores the cache only shares with others that ignore it.
     */
    private Made runOnce(String key, VertexContext context, List<Result> inputResults) throws Exception {
        String slot = vertex.ignoreCache() ? key + " fresh" : key;
        while (true) {
            var mine = new CompletableFuture<Made>();
            CompletableFuture<Made> theirs = solver.runs.putIfAbsent(slot, mine);
            if (theirs == null) {
                try {
                    Made results = lookupOrExec(key, context, inputResults);
                    mine.complete(results);
                    return results;
                } catch (Throwable t) {
                    mine.completeExceptionally(isAbandoned() ? new VertexCancelled() : t);
                    throw t;
                } finally {
                    solver.runs.remove(slot, mine);
                }
            }
            try {
                Made results = theirs.get();
                emit(new ProgressEvent.VertexCached(vertex.digest(), vertex.name(), Instant.now()));
                return new Made(results.results(), results.created());
            } catch (ExecutionException e) {
                switch (e.getCause()) {
                    case VertexCancelled cancelled -> {
                        // Its solves let go of it, but this one still wants the results: take over.
                    }
                    case Exception failure -> throw failure;
                    case Error error -> throw error;
                    default -> throw new IllegalStateException(e.getCause());
                }
            }
        }
    }

    private Made lookupOrExec(String key, VertexContext context, List<Result> inputResults) throws Exception {
        if (!vertex.ignoreCache()) {
            Optional<Made> cached = lookup(key);
            if (cached.isPresent()) {
                emit(new ProgressEvent.VertexCached(vertex.digest(), vertex.name(), Instant.now()));
                return cached.get();
            }
            Optional<List<Result>> imported = importResults(key, context);
            if (imported.isPresent()) {
                record(key, imported.get());
                emit(new ProgressEvent.VertexCached(vertex.digest(), vertex.name(), Instant.now()));
                return new Made(imported.get(), Instant.now());
            }
        }
        emit(new ProgressEvent.VertexStarted(vertex.digest(), vertex.name(), Instant.now()));
        long begin = System.nanoTime();
        List<Result> results = checked(vertex.operation().exec(context, inputResults));
        Duration took = Duration.ofNanos(System.nanoTime() - begin);
        record(key, results);
        emit(new ProgressEvent.VertexCompleted(vertex.digest(), vertex.name(), Instant.now(), took));
        return new Made(results, Instant.now(), true);
    }

    /**
     * The results a solve's own cache imports for the key, asking each solve that wants this vertex in turn. An
     * import that fails is a warning, never the step's failure: the step runs instead, as it would without it.
     */
    private Optional<List<Result>> importResults(String key, VertexContext context) {
        for (ProgressSession session : sessionsNow()) {
            try {
                Optional<List<Result>> imported = session.cache().load(key, context);
                if (imported != null && imported.isPresent()) {
                    return Optional.of(checked(imported.get()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            } catch (Exception e) {
                emit(new ProgressEvent.VertexWarning(
                        vertex.digest(),
                        vertex.name(),
                        Instant.now(),
                        "the imported cache could not be used (" + SolveException.describe(e)
                                + "), so this step runs"));
            }
        }
        return Optional.empty();
    }

    /** The cached results under the key, if there is a record and every result it names still loads. */
    private Optional<Made> lookup(String key) {
        Optional<CacheRecord> record = solver.cache.lookup(key);
        if (record.isEmpty()) {
            return Optional.empty();
        }
        var loaded = new ArrayList<Result>();
        for (String id : record.get().resultIds()) {
            Optional<Result> result = solver.results.load(id);
            if (result == null || result.isEmpty()) {
                try {
                    solver.cache.remove(key);
                } catch (IOException e) {
                    // The record is stale either way; the store after this run replaces it.
                }
                return Optional.empty();
            }
            loaded.add(result.get());
        }
        return Optional.of(new Made(List.copyOf(loaded), record.get().created()));
    }

    private void record(String key, List<Result> results) {
        var ids = results.stream().map(Result::id).toList();
        try {
            solver.cache.store(key, new CacheRecord(vertex.name(), ids, Instant.now()));
        } catch (IOException | RuntimeException e) {
            emit(new ProgressEvent.VertexWarning(
                    vertex.digest(),
                    vertex.name(),
                    Instant.now(),
                    "the result could not be recorded in the cache (" + SolveException.describe(e)
                            + "), so the next build runs this step again"));
        }
    }

    private static List<Result> checked(List<Result> results) {
        if (results == null) {
            throw new IllegalStateException("the operation returned no result list");
        }
        for (int i = 0; i < results.size(); i++) {
            Result result = results.get(i);
            if (result == null || result.id() == null) {
                String what = result == null ? "no result" : "a result without id";
                throw new IllegalStateException("the operation returned " + what + " for output " + i);
            }
        }
        return List.copyOf(results);
    }

    private synchronized boolean isAbandoned() {
        return abandoned;
    }

    /** What the outcome becomes when evaluate() threw, reporting the vertex's own failure as progress. */
    private Exception settle(Throwable thrown) {
        boolean wasStarted;
        synchronized (this) {
            wasStarted = started;
        }
        if (isAbandoned()) {
            if (wasStarted) {
                emit(new ProgressEvent.VertexFailed(
                        vertex.digest(), vertex.name(), Instant.now(), ProgressEvent.CANCELLED));
            }
            return new VertexCancelled();
        }
        if (thrown instanceof VertexFailure || thrown instanceof VertexCancelled) {
            return (Exception) thrown;
        }
        emit(new ProgressEvent.VertexFailed(
                vertex.digest(), vertex.name(), Instant.now(), SolveException.describe(thrown)));
        return new VertexFailure(vertex, thrown);
    }
}
