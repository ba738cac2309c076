package dev.kiln.llb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.llb.pb.Definition;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Graphs ten thousand steps deep (Kiln issue 9): every walk over them (marshalling, decoding, the states of a decoded
 * graph, vertex names, descriptions) must keep its own stack, or the thread's stack overflows.
 */
class DeepGraphTest {

    private static final int STEPS = 10_000;

    /** /steps/N holds N: one file op per file, each on the result of the one before. */
    private static State fileChain(int steps) {
        State state = State.scratch().file(FileAction.mkdir("/steps", 0755));
        for (int i = 0; i < steps; i++) {
            state = state.file(FileAction.mkfile("/steps/" + i, 0644, (i + "\n").getBytes(StandardCharsets.UTF_8)));
        }
        return state;
    }

    @Test
    void tenThousandStepChainMarshalsDecodesAndEncodesToTheSameGraph() {
        Definition definition = fileChain(STEPS).marshal();

        LlbGraph graph = LlbGraph.decode(definition);

        assertThat(graph.vertices()).hasSize(STEPS + 1);
        assertThat(graph.output().orElseThrow().vertex().name()).isEqualTo("mkfile /steps/" + (STEPS - 1));
        assertThat(LlbGraph.decode(graph.encode()).equals(graph)).isTrue();
    }

    @Test
    void stateOfATenThousandStepDefinitionTakesAnotherStep() {
        Definition deep = fileChain(STEPS).marshal();

        State top = State.fromDefinition(deep).file(FileAction.mkfile("/top", 0644, new byte[0]));
        LlbGraph graph = LlbGraph.decode(top.marshal());

        assertThat(graph.vertices()).hasSize(STEPS + 2);
        assertThat(graph.vertices().subList(0, STEPS + 1))
                .isEqualTo(LlbGraph.decode(deep).vertices());
    }

    @Test
    void tenThousandNestedMergesHaveAShortName() {
        State layer = State.scratch().file(FileAction.mkfile("/layer", 0644, new byte[0]));
        State merged = State.image("busybox");
        for (int i = 0; i < STEPS; i++) {
            merged = State.merge(List.of(merged, layer.file(FileAction.mkfile("/" + i, 0644, new byte[0]))));
        }

        LlbGraph graph = LlbGraph.decode(merged.marshal());

        String name = graph.output().orElseThrow().vertex().name();
        assertThat(name)
                .startsWith("merge (merge (merge (merge (merge (...), mkfile /")
                .endsWith(", mkfile /9999)");
        assertThat(name.length()).isLessThan(200);
    }

    @Test
    void tenThousandCopiesEachFromTheLastDescribeThemselvesBriefly() {
        State state = State.scratch().file(FileAction.mkfile("/f", 0644, new byte[0]));
        for (int i = 0; i < STEPS; i++) {
            state = State.scratch().file(FileAction.copy(state, "/f", "/f"));
        }

        assertThat(state.toString()).hasSizeLessThan(400).contains("/f");
    }
}
