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

        /** The key each result this exchange gave out was imported under. */
        final Map<String, String> importedAs = new HashMap<>();
        /** Whether a consumer's link may vouch for a known checksum (off: as if every link named other content). */
        boolean linksConfirm = true;

        @Override
        public Optional<List<Result>> load(String key, OperationContext ctx) throws Exception {
            if (broken) {
                throw new IOException("blob sha256:0123 does not match its digest");
            }
            String text = byOutputKey.get(KeyedStep.outputKey(key, 0));
            if (text == null) {
                return Optional.empty();
            }
            Result result = into.put(text);
            importedAs.put(result.id(), key);
            return Optional.of(List.of(result));
        }

        @Override
        public java.util.Set<String> knownChecksums(Result input) {
            String key = importedAs.get(input.id());
            var known = new java.util.HashSet<String>();
            for (KeyedStep step : heard) {
                for (KeyedStep.StepInput link : step.inputs()) {
                    if (link instanceof KeyedStep.StepInput.Content content
                            && content.producerKey().equals(key)) {
                        known.add(content.checksum());
                    }
                }
            }
            return known;
        }

        @Override
        public boolean confirms(String key, int index, Result input, String checksum) {
            return linksConfirm
                    && heard.stream()
                            .anyMatch(step -> step.key().equals(key)
                                    && step.inputs().get(index) instanceof KeyedStep.StepInput.Content content
                                    && content.producerKey().equals(importedAs.get(input.id()))
                                    && content.checksum().equals(checksum));
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
    void anImportedInputIsNotHashedWhereTheCacheVouchesForItsChecksum() throws Exception {
        assertThat(importedConsumer(true)).as("checksums computed on B").isZero();
    }

    @Test
    void anImportedInputIsHashedWhereNoLinkVouchesForItsChecksum() throws Exception {
        assertThat(importedConsumer(false)).as("checksums computed on B").isEqualTo(1);
    }

    /**
     * Solves random <- copy (keyed by random's content) on A, then on B with A's steps to import; returns how many
     * checksums B computed, after checking that B ran nothing and got A's result.
     */
    private int importedConsumer(boolean linksConfirm) throws Exception {
        var exchange = new TextExchange();
        var resultsA = new FileResults(dir.resolve("a-results"));
        exchange.from = resultsA;
        String first = resultsA.read(new Solver(new CacheStore(dir.resolve("a-cache")), resultsA)
                .solve(new Edge(randomThenCopy(resultsA), 0), ProgressListener.none(), exchange)
                .result());

        var resultsB = new FileResults(dir.resolve("b-results"));
        exchange.from = resultsB;
        exchange.into = resultsB;
        exchange.linksConfirm = linksConfirm;
        var solverB = new Solver(new CacheStore(dir.resolve("b-cache")), resultsB);
        Vertex target = randomThenCopy(resultsB);
        String second = resultsB.read(solverB.solve(new Edge(target, 0), ProgressListener.none(), exchange)
                .result());
        assertThat(second).isEqualTo(first);
        assertThat(((Step) target.operation()).execs).hasValue(0);
        return resultsB.checksums.get();
    }

    private static Vertex randomThenCopy(FileResults results) {
        Step random = step(
                results, "random", 0, (ctx, in) -> java.util.UUID.randomUUID().toString());
        Step copy = new Step(
                results, "copy /x", List.of(new InputKey.ByContent(List.of("/x"))), (ctx, in) -> "copied " + in);
        return TestVertex.of("copy", copy, TestVertex.of("random", random));
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
