package dev.kiln.solver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CacheKeysTest {

    /*
     * Golden keys, computed outside Java from the layout in CacheKeys' comment (in Python: a string is
     * struct.pack('>i', len(utf8)) + utf8, the input count struct.pack('>i', n), then hashlib.sha256(...).hexdigest()),
     * so that a change to the layout, which would invalidate every cache on disk, cannot go unnoticed.
     */
    @Test
    void keyFollowsTheDocumentedByteLayout() {
        String inputKey = CacheKeys.outputKey("a".repeat(64), 0);

        String key = CacheKeys.vertexKey(
                "sha256:op", List.of(CacheKeys.byCacheKey(inputKey), CacheKeys.byContent("sha256:c0ffee")));

        assertThat(key).isEqualTo("d39abdc03920c7ad50a42a59a8c83750a9cf1305658f237a8ee534e87336c89d");
        assertThat(CacheKeys.vertexKey("sha256:op", List.of()))
                .isEqualTo("c317c2624306b7b178d9b66a362ba775d7312b3ba0fb5f6533aed10caee36074");
    }

    @Test
    void fieldBoundariesCannotBeShifted() {
        assertThat(CacheKeys.vertexKey("ab", List.of("c"))).isNotEqualTo(CacheKeys.vertexKey("a", List.of("bc")));
        assertThat(CacheKeys.vertexKey("op", List.of(CacheKeys.byCacheKey("k"))))
                .isNotEqualTo(CacheKeys.vertexKey("op", List.of(CacheKeys.byContent("k"))));
    }

    @Test
    void outputsOfOneVertexHaveDifferentKeys() {
        String vertexKey = CacheKeys.vertexKey("op", List.of());

        assertThat(CacheKeys.outputKey(vertexKey, 0))
                .isEqualTo(vertexKey + "#0")
                .isNotEqualTo(CacheKeys.outputKey(vertexKey, 1));
    }
}
