package dev.kiln.solver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.solver.ProgressEvent.VertexCached;
import dev.kiln.solver.ProgressEvent.VertexCompleted;
import dev.kiln.solver.ProgressEvent.VertexFailed;
import dev.kiln.solver.ProgressEvent.VertexLog;
import dev.kiln.solver.ProgressEvent.VertexStarted;
import dev.kiln.solver.ProgressEvent.VertexWarning;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

// A hang is these tests' way to fail at concurrency; the timeout turns it into a failure instead of a stuck build.
@Timeout(120)
class SolverTest {

    @TempDir
    Path dir;

    FileResults results;
    CacheStore cache;
    Solver solver;

    @BeforeEach
    void open() throws IOException {
        results = new FileResults(dir.resolve("results"));
        cache = new CacheStore(dir.resolve("cache"));
        solver = new Solver(cache, results);
    }

    Step step(String keyMaterial, int inputs, Step.Body body) {
        return new Step(results, keyMaterial, Collections.nCopies(inputs, new InputKey.ByCacheKey()), body);
    }

    /** A step that counts {@code running} down, then waits until the solve interrupts it, and records that. */
    Step runsUntilInterrupted(String keyMaterial, CountDownLatch running, AtomicBoolean interrupted) {
        return step(keyMaterial, 0, (ctx, in) -> {
            running.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                interrupted.set(true);
                throw e;
            }
            return "never";
        });
    }

    Step leaf(String content) {
        return step(content, 0, (ctx, in) -> content);
    }

    Step joining(int inputs) {
        return step("join", inputs, (ctx, in) -> String.join("+", in));
    }

    SolveResult solve(Vertex target, ProgressListener listener) throws SolveException {
        return solver.solve(new Edge(target, 0), listener);
    }

    @Test
    void independentBranchesRunAtTheSameTime() throws Exception {
        var leftRunning = new CountDownLatch(1);
        var rightRunning = new CountDownLatch(1);
        // Each branch waits for the other to be running: they finish only if they truly run in parallel.
        var left = TestVertex.of("left", step("left", 0, (ctx, in) -> {
            leftRunning.countDown();
            rightRunning.await();
            return "L";
        }));
        var right = TestVertex.of("right", step("right", 0, (ctx, in) -> {
            rightRunning.countDown();
            leftRunning.await();
            return "R";
        }));
        var join = TestVertex.of("join", joining(2), left, right);

        SolveResult solved = solve(join, ProgressListener.none());

        assertThat(results.read(solved.result())).isEqualTo("L+R");
    }

    @Test
    void repeatSolveIsFullyCached() throws Exception {
        Step a = leaf("a");
        Step b = leaf("b");
        Step top = joining(2);
        var graph = TestVertex.of("top", top, TestVertex.of("a", a), TestVertex.of("b", b));
        SolveResult first = solve(graph, ProgressListener.none());

        var progress = new Recorder();
        SolveResult second = solve(graph, progress);

        assertThat(List.of(a.execs.get(), b.execs.get(), top.execs.get())).containsOnly(1);
        assertThat(progress.names(VertexCached.class)).containsExactlyInAnyOrder("a", "b", "top");
        assertThat(progress.names(VertexStarted.class)).isEmpty();
        assertThat(second).isEqualTo(first);
        assertThat(results.read(second.result())).isEqualTo("a+b");
    }

    @Test
    void changingOneSourceRerunsOnlyItAndItsDependants() throws Exception {
        Step changing = leaf("v1");
        Step steady = leaf("steady");
        Step middle = step("middle", 1, (ctx, in) -> in.getFirst() + "!");
        Step top = joining(2);
        var changingVertex = TestVertex.of("changing", changing);
        var graph = TestVertex.of(
                "top", top, TestVertex.of("middle", middle, changingVertex), TestVertex.of("steady", steady));
        solve(graph, ProgressListener.none());

        changing.keyMaterial = "v2";
        var progress = new Recorder();
        solve(graph, progress);

        assertThat(changing.execs).hasValue(2);
        assertThat(middle.execs).hasValue(2);
        assertThat(top.execs).hasValue(2);
        assertThat(steady.execs).hasValue(1);
        assertThat(progress.names(VertexCached.class)).containsExactly("steady");
        assertThat(progress.names(VertexCompleted.class)).containsExactlyInAnyOrder("changing", "middle", "top");
    }

    @Test
    void contentKeyedDependantStaysCachedWhenItsInputRerunsToTheSameContent() throws Exception {
        Step source = step("mtime 1", 0, (ctx, in) -> "same bytes");
        Step copy = new Step(
                results, "copy", List.of(new InputKey.ByContent(List.of("/"))), (ctx, in) -> "copied " + in.getFirst());
        Step run = step("run", 1, (ctx, in) -> "ran on " + in.getFirst());
        var sourceVertex = TestVertex.of("source", source);
        var graph = TestVertex.of(
                "top", joining(2), TestVertex.of("copy", copy, sourceVertex), TestVertex.of("run", run, sourceVertex));
        solve(graph, ProgressListener.none());

        source.keyMaterial = "mtime 2";
        var progress = new Recorder();
        solve(graph, progress);

        assertThat(source.execs).hasValue(2);
        assertThat(copy.execs).as("keyed by the unchanged content").hasValue(1);
        assertThat(run.execs).as("keyed by the changed cache key").hasValue(2);
        assertThat(progress.names(VertexCached.class)).contains("copy");
    }

    @Test
    void concurrentSolvesOfOneGraphRunEachVertexOnce() throws Exception {
        var gate = new CountDownLatch(1);
        Step slowLeaf = step("leaf", 0, (ctx, in) -> {
            gate.await();
            return "leaf";
        });
        Step middle = step("middle", 1, (ctx, in) -> in.getFirst() + "!");
        var bothWatchingTheLeaf = new CountDownLatch(2);
        var outcomes = new ArrayList<AtomicReference<SolveResult>>();
        var callers = new ArrayList<Thread>();
        for (int i = 0; i < 2; i++) {
            // Separate vertex objects with the same digests, as two clients decoding one definition would have.
            var graph = TestVertex.of("middle", middle, TestVertex.of("leaf", slowLeaf));
            var outcome = new AtomicReference<SolveResult>();
            outcomes.add(outcome);
            ProgressListener listener = event -> {
                if (event instanceof VertexStarted && event.vertexName().equals("leaf")) {
                    bothWatchingTheLeaf.countDown();
                }
            };
            callers.add(Thread.ofVirtual().start(() -> {
                try {
                    outcome.set(solve(graph, listener));
                } catch (SolveException e) {
                    throw new AssertionError(e);
                }
            }));
        }
        // The second solve can see the leaf start only by joining the first one's evaluation, which is held open.
        bothWatchingTheLeaf.await();
        gate.countDown();
        for (Thread caller : callers) {
            caller.join();
        }

        assertThat(slowLeaf.execs).hasValue(1);
        assertThat(middle.execs).hasValue(1);
        assertThat(outcomes.get(0).get()).isNotNull().isEqualTo(outcomes.get(1).get());
    }

    @Test
    void concurrentSolvesSharingOneListenerHearOfASharedVertexOnce() throws Exception {
        var gate = new CountDownLatch(1);
        Step slowLeaf = step("leaf", 0, (ctx, in) -> {
            gate.await();
            byte[] line = "leaf says hi\n".getBytes(StandardCharsets.UTF_8);
            ctx.log(1, line, 0, line.length);
            return "leaf";
        });
        var progress = new Recorder();
        var leafStarted = new CountDownLatch(1);
        ProgressListener build = event -> {
            progress.onEvent(event);
            if (event instanceof VertexStarted && event.vertexName().equals("leaf")) {
                leafStarted.countDown();
            }
        };
        var callers = new ArrayList<Thread>();
        for (String top : List.of("amd64 top", "arm64 top")) {
            // One build's two solves (one per platform), a step of each on the same shared leaf.
            var graph =
                    TestVertex.of(top, step(top, 1, (ctx, in) -> in.getFirst() + "!"), TestVertex.of("leaf", slowLeaf));
            callers.add(Thread.ofVirtual().start(() -> {
                try {
                    solve(graph, build);
                } catch (SolveException e) {
                    throw new AssertionError(e);
                }
            }));
            leafStarted.await();
        }
        // both solves want the leaf while it runs: give the second time to join it
        Thread.sleep(500);
        gate.countDown();
        for (Thread caller : callers) {
            caller.join();
        }

        assertThat(slowLeaf.execs).hasValue(1);
        assertThat(progress.names(VertexStarted.class)).containsOnlyOnce("leaf");
        assertThat(progress.names(VertexCompleted.class)).containsOnlyOnce("leaf");
        assertThat(progress.names(VertexLog.class)).containsOnlyOnce("leaf");
        assertThat(progress.names(VertexStarted.class)).contains("amd64 top", "arm64 top");
    }

    @Test
    void differentVerticesWithTheSameCacheKeyRunOnce() throws Exception {
        var source = TestVertex.of("source", leaf("text"));
        Step copyA = step("copy the same thing", 1, (ctx, in) -> "copy of " + in.getFirst());
        Step copyB = step("copy the same thing", 1, (ctx, in) -> "copy of " + in.getFirst());
        var graph = TestVertex.of(
                "top", joining(2), TestVertex.of("copy a", copyA, source), TestVertex.of("copy b", copyB, source));

        SolveResult solved = solve(graph, ProgressListener.none());

        assertThat(copyA.execs.get() + copyB.execs.get()).isEqualTo(1);
        assertThat(results.read(solved.result())).isEqualTo("copy of text+copy of text");
    }

    @Test
    void aVertexWantedTwiceInOneGraphIsEvaluatedOnce() throws Exception {
        Step shared = leaf("shared");
        Step left = step("left", 1, (ctx, in) -> "left " + in.getFirst());
        Step right = step("right", 1, (ctx, in) -> "right " + in.getFirst());
        // Two objects, one digest: the solver goes by identity, not by object.
        var graph = TestVertex.of(
                "top",
                joining(2),
                TestVertex.of("left", left, TestVertex.of("shared", shared)),
                TestVertex.of("right", right, TestVertex.of("shared", shared)));

        SolveResult solved = solve(graph, ProgressListener.none());

        assertThat(shared.keyings).hasValue(1);
        assertThat(shared.execs).hasValue(1);
        assertThat(results.read(solved.result())).isEqualTo("left shared+right shared");
    }

    @Test
    void failingVertexStopsItsDependantsCancelsOtherBranchesAndIsNamed() throws Exception {
        var siblingRunning = new CountDownLatch(1);
        var siblingInterrupted = new AtomicBoolean();
        Step sibling = runsUntilInterrupted("sibling", siblingRunning, siblingInterrupted);
        Step broken = step("broken", 0, (ctx, in) -> {
            siblingRunning.await();
            throw new IOException("disk on fire");
        });
        Step dependant = step("dependant", 1, (ctx, in) -> "never");
        Step top = joining(2);
        var brokenVertex = TestVertex.of("broken", broken);
        var graph = TestVertex.of(
                "top", top, TestVertex.of("dependant", dependant, brokenVertex), TestVertex.of("sibling", sibling));
        var progress = new Recorder();

        assertThatThrownBy(() -> solve(graph, progress)).isInstanceOfSatisfying(SolveException.class, e -> {
            assertThat(e)
                    .hasMessageContaining("\"broken\"")
                    .hasMessageContaining(brokenVertex.digest())
                    .hasMessageContaining("disk on fire")
                    .hasCauseInstanceOf(IOException.class);
            assertThat(e.vertexName()).contains("broken");
            assertThat(e.vertexDigest()).contains(brokenVertex.digest());
            assertThat(e.cancelled()).isFalse();
        });

        assertThat(dependant.execs).hasValue(0);
        assertThat(top.execs).hasValue(0);
        assertThat(siblingInterrupted)
                .as("the other branch was stopped before solve returned")
                .isTrue();
        assertThat(progress.events())
                .filteredOn(VertexFailed.class::isInstance)
                .extracting(ProgressEvent::vertexName, e -> ((VertexFailed) e).message())
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("broken", "disk on fire"),
                        org.assertj.core.groups.Tuple.tuple("sibling", ProgressEvent.CANCELLED));
        assertThat(progress.names(VertexStarted.class)).doesNotContain("dependant", "top");
        assertThat(cache.keys())
                .as("nothing recorded for what failed or was cut short")
                .isEmpty();
    }

    @Test
    void interruptingTheSolvingThreadCancelsRunningVertices() throws Exception {
        var running = new CountDownLatch(1);
        var stopped = new AtomicBoolean();
        Step endless = runsUntilInterrupted("endless", running, stopped);
        var graph = TestVertex.of("after", step("after", 1, (ctx, in) -> "never"), TestVertex.of("endless", endless));
        var progress = new Recorder();
        var thrown = new AtomicReference<SolveException>();
        var stillInterrupted = new AtomicBoolean();
        var stoppedWhenSolveReturned = new AtomicBoolean();
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                solve(graph, progress);
            } catch (SolveException e) {
                stoppedWhenSolveReturned.set(stopped.get());
                stillInterrupted.set(Thread.currentThread().isInterrupted());
                thrown.set(e);
            }
        });

        running.await();
        caller.interrupt();
        caller.join();

        assertThat(thrown.get()).isNotNull();
        assertThat(thrown.get().cancelled()).isTrue();
        assertThat(thrown.get()).hasCauseInstanceOf(InterruptedException.class);
        assertThat(stoppedWhenSolveReturned).isTrue();
        assertThat(stillInterrupted).isTrue();
        assertThat(progress.of("endless").getLast())
                .isInstanceOfSatisfying(
                        VertexFailed.class,
                        failed -> assertThat(failed.message()).isEqualTo(ProgressEvent.CANCELLED));
        assertThat(cache.keys()).isEmpty();
    }

    @Test
    void cancellingOneSolveLeavesAVertexItSharesToTheOther() throws Exception {
        var gate = new CountDownLatch(1);
        var interrupted = new AtomicBoolean();
        Step shared = step("shared", 0, (ctx, in) -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                interrupted.set(true);
                throw e;
            }
            return "shared";
        });
        var graph = TestVertex.of("shared", shared);
        var watching = new CountDownLatch(2);
        ProgressListener watch = event -> {
            if (event instanceof VertexStarted) {
                watching.countDown();
            }
        };
        var cancelled = new AtomicReference<SolveException>();
        var kept = new AtomicReference<SolveResult>();
        Thread first = Thread.ofVirtual().start(() -> {
            try {
                solve(graph, watch);
            } catch (SolveException e) {
                cancelled.set(e);
            }
        });
        Thread second = Thread.ofVirtual().start(() -> {
            try {
                // a listener of its own, as another build's: one listener hears of a shared vertex once
                kept.set(solve(graph, event -> watch.onEvent(event)));
            } catch (SolveException e) {
                throw new AssertionError(e);
            }
        });
        watching.await();

        first.interrupt();
        first.join();
        gate.countDown();
        second.join();

        assertThat(cancelled.get()).isNotNull().matches(SolveException::cancelled);
        assertThat(interrupted).isFalse();
        assertThat(kept.get()).isNotNull();
        assertThat(results.read(kept.get().result())).isEqualTo("shared");
        assertThat(shared.execs).hasValue(1);
    }

    @Test
    void cachePersistsAcrossSolversOnOneDirectory() throws Exception {
        Step a = leaf("a");
        Step top = step("top", 1, (ctx, in) -> in.getFirst() + "!");
        var graph = TestVertex.of("top", top, TestVertex.of("a", a));
        SolveResult first = solve(graph, ProgressListener.none());

        var reopened = new Solver(new CacheStore(dir.resolve("cache")), results);
        var progress = new Recorder();
        SolveResult second = reopened.solve(new Edge(graph, 0), progress);

        assertThat(a.execs).hasValue(1);
        assertThat(top.execs).hasValue(1);
        assertThat(progress.names(VertexCached.class)).containsExactlyInAnyOrder("a", "top");
        assertThat(second).isEqualTo(first);
    }

    @Test
    void corruptCacheRecordsAreMissesNotCrashes() throws Exception {
        Step a = leaf("a");
        Step top = step("top", 1, (ctx, in) -> in.getFirst() + "!");
        var graph = TestVertex.of("top", top, TestVertex.of("a", a));
        solve(graph, ProgressListener.none());
        assertThat(cache.keys()).hasSize(2);
        for (String key : cache.keys()) {
            Path file = dir.resolve("cache").resolve(key);
            byte[] bytes = Files.readAllBytes(file);
            Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        }

        var reopened = new Solver(new CacheStore(dir.resolve("cache")), results);
        SolveResult again = reopened.solve(new Edge(graph, 0), ProgressListener.none());

        assertThat(results.read(again.result())).isEqualTo("a!");
        assertThat(a.execs).hasValue(2);
        assertThat(top.execs).hasValue(2);
        var healed = new CacheStore(dir.resolve("cache"));
        for (String key : healed.keys()) {
            assertThat(healed.lookup(key)).isPresent();
        }
    }

    @Test
    void recordWhoseResultsAreGoneIsAMiss() throws Exception {
        Step a = leaf("a");
        var graph = TestVertex.of("a", a);
        solve(graph, ProgressListener.none());
        results.deleteAll();

        SolveResult again = solve(graph, ProgressListener.none());

        assertThat(a.execs).hasValue(2);
        assertThat(results.read(again.result())).isEqualTo("a");
    }

    @Test
    void vertexThatIgnoresTheCacheRunsEveryTime() throws Exception {
        Step always = leaf("always");
        var graph = TestVertex.ignoringCache("always", always);

        solve(graph, ProgressListener.none());
        solve(graph, ProgressListener.none());

        assertThat(always.execs).hasValue(2);
    }

    @Test
    void logsAndWarningsOfAnOpBecomeItsProgressEvents() throws Exception {
        Step chatty = step("chatty", 0, (ctx, in) -> {
            byte[] line = "xxhello\n".getBytes(StandardCharsets.UTF_8);
            ctx.log(1, line, 2, line.length - 2);
            ctx.log(2, new byte[] {'!'}, 0, 1);
            ctx.warn("deprecated flag");
            return "done";
        });
        var progress = new Recorder();

        solve(TestVertex.of("chatty", chatty), progress);

        List<ProgressEvent> events = progress.of("chatty");
        assertThat(events)
                .extracting(e -> e.getClass().getSimpleName())
                .containsExactly("VertexStarted", "VertexLog", "VertexLog", "VertexWarning", "VertexCompleted");
        var stdout = (VertexLog) events.get(1);
        assertThat(stdout.stream()).isEqualTo(1);
        assertThat(new String(stdout.data(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(((VertexLog) events.get(2)).stream()).isEqualTo(2);
        assertThat(((VertexWarning) events.get(3)).message()).isEqualTo("deprecated flag");
        assertThat(((VertexCompleted) events.get(4)).duration().isNegative()).isFalse();
        assertThat(events).allSatisfy(e -> assertThat(e.vertexDigest()).isEqualTo(TestVertex.digestOf("chatty")));
    }

    @Test
    void askingForAMissingOutputNamesTheVertex() {
        var single = TestVertex.of("single", leaf("one output"));

        assertThatThrownBy(() -> solver.solve(new Edge(single, 2), ProgressListener.none()))
                .isInstanceOf(SolveException.class)
                .hasMessageContaining("\"single\"")
                .hasMessageContaining("output 2")
                .hasMessageContaining("1 output");
    }

    @Test
    void cacheMapThatDoesNotCoverEveryInputFailsItsVertex() {
        var source = TestVertex.of("source", leaf("s"));
        var sloppy = TestVertex.of("sloppy", step("sloppy", 0, (ctx, in) -> "x"), source);

        assertThatThrownBy(() -> solve(sloppy, ProgressListener.none()))
                .isInstanceOf(SolveException.class)
                .hasMessageContaining("\"sloppy\"")
                .hasMessageContaining("0 input keys for 1 inputs");
    }

    @Test
    void cycleIsRejectedBeforeAnythingRuns() {
        Step a = leaf("a");
        var loopInputs = new ArrayList<Edge>();
        var first = new TestVertex(TestVertex.digestOf("first"), "first", loopInputs, false, a);
        var second = TestVertex.of("second", step("second", 1, (ctx, in) -> "x"), first);
        loopInputs.add(new Edge(second, 0));

        assertThatThrownBy(() -> solve(second, ProgressListener.none()))
                .isInstanceOf(SolveException.class)
                .hasMessageContaining("cycle")
                .hasMessageContaining("\"second\" -> \"first\" -> \"second\"");
        assertThat(a.keyings).hasValue(0);
    }

    @Test
    void listenerThatThrowsDoesNotBreakTheBuild() throws Exception {
        SolveResult solved = solve(TestVertex.of("a", leaf("a")), event -> {
            throw new IllegalStateException("display broke");
        });

        assertThat(results.read(solved.result())).isEqualTo("a");
    }

    @Test
    void severalTargetsAreOneSolve() throws Exception {
        Step shared = leaf("shared");
        var sharedVertex = TestVertex.of("shared", shared);
        var one = TestVertex.of("one", step("one", 1, (ctx, in) -> "one " + in.getFirst()), sharedVertex);
        var two = TestVertex.of("two", step("two", 1, (ctx, in) -> "two " + in.getFirst()), sharedVertex);

        List<SolveResult> solved = solver.solve(List.of(new Edge(one, 0), new Edge(two, 0)), ProgressListener.none());

        assertThat(solved).extracting(r -> results.read(r.result())).containsExactly("one shared", "two shared");
        assertThat(shared.keyings).hasValue(1);
    }

    /**
     * Ten thousand vertices, each passing on its input's content and keyed by it: a chain far deeper than a thread's
     * stack. Every vertex above the bottom arrives at one cache key, so one of them runs and the rest are cache hits.
     */
    private Vertex passingChain(int length, Step bottom, Step pass) {
        Vertex vertex = TestVertex.of("step 0", bottom);
        for (int i = 1; i < length; i++) {
            vertex = TestVertex.of("step " + i, pass, vertex);
        }
        return vertex;
    }

    private Step passing() {
        return new Step(results, "pass", List.of(new InputKey.ByContent(List.of())), (ctx, in) -> in.getFirst());
    }

    @Test
    void chainOfTenThousandVerticesIsSolved() throws Exception {
        Step pass = passing();
        Vertex top = passingChain(10_000, leaf("bottom"), pass);

        SolveResult solved = solve(top, ProgressListener.none());

        assertThat(results.read(solved.result())).isEqualTo("bottom");
        assertThat(pass.keyings).hasValue(9_999);
        assertThat(pass.execs).hasValue(1);
    }

    @Test
    void failureAtTheBottomOfATenThousandVertexChainNamesTheVertex() {
        Vertex top = passingChain(
                10_000,
                step("bottom", 0, (ctx, in) -> {
                    throw new IOException("disk on fire");
                }),
                passing());

        assertThatThrownBy(() -> solve(top, ProgressListener.none()))
                .isInstanceOfSatisfying(
                        SolveException.class, e -> assertThat(e.vertexName()).contains("step 0"))
                .hasMessageContaining("disk on fire");
    }
}
