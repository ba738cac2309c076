package dev.kiln.llb;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Any bytes as a marshalled Definition, as a client sends one: decoding either gives a valid graph or stops with
 * an {@link LlbException}; a graph that decodes encodes to a definition that decodes to the same graph. Seeds:
 * definitions this module's tests marshal (every op kind, a Dockerfile-like build, scratch).
 */
class LlbGraphFuzzTest {

    @FuzzTest
    void decode(byte[] data) {
        LlbGraph graph;
        try {
            graph = LlbGraph.decode(data);
        } catch (LlbException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(LlbGraph.decode(graph.encode().toByteArray())).isEqualTo(graph);
    }
}
