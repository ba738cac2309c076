package dev.kiln.solver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A solve's own cache: what one state reports, another state with its own cache and results imports by key. */
@Timeout(60)
class SolveCacheTest {

    @TempDir
    Path dir;

    /** A cache that keeps what it hears as text and imports it back into another result store. */
    static final class TextExchange implements SolveCache {
        final Map<String, String> byOutputKey = new HashMap<>();
        final List<KeyedStep> heard = new ArrayList<>();
        FileResults from;
        FileResults into;
        boolean broken;

        @Override
        public void solved(KeyedStep step) {
            heard.add(step);
            for (int i = 0; i < step.results().size(); i++) {
                byOutputKey.put(
                        KeyedStep.outputKey(step.key(), i),
                        from.read(step.results().get(i)));
            }
        }

        @Override
        public Optional<List<Result>> load(String key, OperationContext ctx) throws Exception {
            if (broken) {
                throw new IOException("blob sha256:0123 does not match its digest");
            }
            String text = byOutputKey.get(KeyedStep.outputKey(key, 0));
            return text == null ? Optional.empty() : Optional.of(List.of(into.put(text)));
        }
    }

    private static Step step(FileResults results, String key, int inputs, Step.Body body) {
        return new Step(results, key, Collections.nCopies(inputs, new InputKey.ByCacheKey()), body);
    }

    @Test
    void aStepAnotherStateReportedIsImportedInsteadOfRun() throws Exception {
        var exchange = new TextExchange();
        var resultsA = new FileResults(dir.resolve("a-results"));
        var solverA = new Solver(new CacheStore(dir.resolve("a-cache")), resultsA);
        exchange.from = resultsA;
        Step randomA = step(
                resultsA, "random", 0, (ctx, in) -> java.util.UUID.randomUUID().toString());
        Step useA = step(resultsA, "use", 1, (ctx, in) -> "used " + in.getFirst());
        var targetA = TestVertex.of("use", useA, TestVertex.of("random", randomA));
        String first = resultsA.read(solverA.solve(new Edge(targetA, 0), ProgressListener.none(), exchange)
                .result());
        assertThat(exchange.heard).extracting(KeyedStep::name).containsExactly("random", "use");
        assertThat(exchange.heard.get(1).inputs())
                .containsExactly(
                        new KeyedStep.StepInput.Linked(exchange.heard.get(0).key(), 0));

        var resultsB = new FileResults(dir.resolve("b-results"));
        var solverB = new Solver(new CacheStore(dir.resolve("b-cache")), resultsB);
        exchange.into = resultsB;
        exchange.from = resultsB;
        Step randomB = step(
                resultsB, "random", 0, (ctx, in) -> java.util.UUID.randomUUID().toString());
        Step useB = step(resultsB, "use", 1, (ctx, in) -> "used " + in.getFirst());
        var targetB = TestVertex.of("use", useB, TestVertex.of("random", randomB));
        var recorder = new Recorder();
        String second = resultsB.read(
                solverB.solve(new Edge(targetB, 0), recorder, exchange).result());

        assertThat(second).isEqualTo(first);
        assertThat(randomB.execs).hasValue(0);
        assertThat(useB.execs).hasValue(0);
        // Recorded locally too: the next solve without the exchange is a local hit.
        String third = resultsB.read(
                solverB.solve(new Edge(targetB, 0), ProgressListener.none()).result());
        assertThat(third).isEqualTo(first);
        assertThat(randomB.execs).hasValue(0);
    }

    @Test
    void aFailedImportWarnsAndRunsTheStep() throws Exception {
        var results = new FileResults(dir.resolve("results"));
        var solver = new Solver(new CacheStore(dir.resolve("cache")), results);
        var exchange = new TextExchange();
        exchange.from = results;
        exchange.broken = true;
        Step leaf = step(results, "leaf", 0, (ctx, in) -> "made");
        var recorder = new Recorder();
        String made = results.read(solver.solve(new Edge(TestVertex.of("leaf", leaf), 0), recorder, exchange)
                .result());
        assertThat(made).isEqualTo("made");
        assertThat(leaf.execs).hasValue(1);
        assertThat(recorder.events())
                .filteredOn(e -> e instanceof ProgressEvent.VertexWarning)
                .extracting(e -> ((ProgressEvent.VertexWarning) e).message())
                .singleElement()
                .asString()
                .contains("blob sha256:0123 does not match its digest", "this step runs");
    }
}
