package dev.kiln.worker.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Glob;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Wildcard matching follows Go's path/filepath, since LLB paths are defined by it. */
class GoSyntaxTest {

    @ParameterizedTest(name = "Match({0}, {1}) = {2}")
    @CsvSource({
        "abc, abc, true",
        "*, abc, true",
        "*c, abc, true",
        "a*, a, true",
        "a*, ab/c, false",
        "a*b*c*d*e*, axbxcxdxe, true",
        "ab[c], abc, true",
        "ab[b-d], abc, true",
        "ab[e-g], abc, false",
        "ab[^c], abc, false",
        "ab[^b-d], abe, true",
        "a\\*b, a*b, true",
        "a\\*b, ab, false",
        "a?b, a☺b, true",
        "a???b, a☺b, false",
        "[\\-], -, true",
        "[x\\-], -, true",
        "[\\]a], ], true",
    })
    void globMatchesLikeFilepathMatch(String pattern, String name, boolean expected) {
        assertThat(Glob.compile(pattern).matches(name)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "bad pattern {0}")
    @CsvSource({"[", "[^", "[]a]", "[-]", "a[", "ab\\", "[x-]", "[-x]", "[a-b-c]"})
    void malformedGlobsAreRejected(String pattern) {
        assertThatThrownBy(() -> Glob.compile(pattern))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid pattern");
    }

    @ParameterizedTest(name = "hasWildcards({0}) = {1}")
    @CsvSource({"abc, false", "a*c, true", "a?c, true", "a[b]c, true", "a\\*c, false"})
    void wildcardDetectionHonoursEscapes(String name, boolean expected) {
        assertThat(Glob.hasWildcards(name)).isEqualTo(expected);
    }
}
