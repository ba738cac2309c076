package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Path cleaning follows Go's path/filepath, since LLB paths (and so op digests) are defined by it. */
class GoPathTest {

    @ParameterizedTest(name = "Clean({0}) = {1}")
    @CsvSource({
        "'', .",
        "abc, abc",
        "abc/, abc",
        "a//b, a/b",
        "a/./b, a/b",
        "a/b/.., a",
        "a/b/../.., .",
        "../a, ../a",
        "/../a, /a",
        "/, /",
        "//, /",
        "/a/b/../../.., /",
    })
    void cleanMatchesGo(String in, String out) {
        assertThat(GoPath.clean(in)).isEqualTo(out);
    }

    @ParameterizedTest(name = "Base({0}) = {1}, Dir = {2}")
    @CsvSource({
        "/a/b, b, /a",
        "/a/b/, b, /a/b",
        "a, a, .",
        "/, /, /",
        "/a/., ., /a",
    })
    void baseAndDirMatchGo(String in, String base, String dir) {
        assertThat(GoPath.base(in)).isEqualTo(base);
        assertThat(GoPath.dir(in)).isEqualTo(dir);
    }

    @Test
    void joinSkipsEmptyElementsAndCleansLikeGo() {
        assertThat(GoPath.join("/", "a", "", "b/../c")).isEqualTo("/a/c");
        assertThat(GoPath.join("a/", "/b")).isEqualTo("a/b");
        assertThat(GoPath.join("", "")).isEmpty();
    }

    @Test
    void appendConcatenatesWithoutCleaning() {
        assertThat(GoPath.append(".", "a")).isEqualTo("./a");
        assertThat(GoPath.append("/x/", "y")).isEqualTo("/x/y");
        assertThat(GoPath.append("", "y")).isEqualTo("y");
        assertThat(GoPath.append("x", "")).isEqualTo("x");
    }

    @Test
    void absoluteNeverClimbsAboveRoot() {
        assertThat(GoPath.absolute("../../etc/passwd")).isEqualTo("/etc/passwd");
        assertThat(GoPath.absolute("")).isEqualTo("/");
        assertThat(GoPath.isAbs("/a")).isTrue();
        assertThat(GoPath.isAbs("a")).isFalse();
        assertThat(GoPath.elements("//a/./b/")).containsExactly("a", ".", "b");
    }
}
