package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathPatternsTest {

    private static boolean matches(String path, String... patterns) {
        return PathPatterns.compile(List.of(patterns)).matches(path);
    }

    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
      **             | file                | true
      **             | dir/file            | true
      **/            | dir/file            | true
      **/**          | dir/file            | true
      dir/**         | dir/file            | true
      dir/**         | dir/dir2/file       | true
      **/dir         | dir                 | true
      **/dir         | dir/file            | true
      **/dir2/*      | dir/dir2/file       | true
      **/dir2/**     | dir/dir2/dir3/file  | true
      **file         | file                | true
      **file         | dir/file            | true
      **/file        | dir/file            | true
      **file         | dir/dir/file        | true
      **/file*       | dir/dir/file.txt    | true
      **/file*txt    | dir/dir/file.txt    | true
      **/**/*.txt    | dir/dir/file.txt    | true
      **/**/*.txt2   | dir/dir/file.txt    | false
      **/*.txt       | file.txt            | true
      a**/*.txt      | a/file.txt          | true
      a**/*.txt      | a/dir/dir/file.txt  | true
      a/*.txt        | a/dir/file.txt      | false
      a/*.txt        | a/file.txt          | true
      a/*.txt**      | a/file.txt          | true
      a[b-d]e        | ae                  | false
      a[b-d]e        | ace                 | true
      a[b-d]e        | aae                 | false
      a[^b-d]e       | aze                 | true
      .*             | .foo                | true
      .*             | foo                 | false
      abc.def        | abcdef              | false
      abc.def        | abc.def             | true
      abc?def        | abcZdef             | true
      abc?def        | abcdef              | false
      **/foo/bar     | foo/bar             | true
      **/foo/bar     | dir/dir2/foo/bar    | true
      abc/**         | abc                 | false
      abc/**         | abc/def/ghi         | true
      **/.foo        | .foo                | true
      **/.foo        | bar.foo             | false
      a(b)c/def      | a(b)c/def           | true
      a(b)c/def      | a(b)c/xyz           | false
      dist/*.whl     | dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl | true
      a\\*b          | a*b                 | true
      a\\*b          | axb                 | false
      """)
    void matchesLikeDocker(String pattern, String path, boolean expected) {
        assertThat(matches(path, pattern)).isEqualTo(expected);
    }

    @Test
    void regexCharactersAreLiteral() {
        assertThat(matches("a.|)$(}+{bc", "a.|)$(}+{bc")).isTrue();
        assertThat(matches("aX|)$(}+{bc", "a.|)$(}+{bc")).isFalse();
    }

    @Test
    void patternMatchingADirectoryMatchesEverythingUnderIt() {
        assertThat(matches("docs/api/index.md", "docs")).isTrue();
        assertThat(matches("docs/api/index.md", "docs/")).isTrue();
        assertThat(matches("docsx/index.md", "docs")).isFalse();
    }

    @Test
    void laterPatternsWinAndExceptionsReinclude() {
        assertThat(matches("README.md", "*.md", "!README.md")).isFalse();
        assertThat(matches("CHANGES.md", "*.md", "!README.md")).isTrue();
        assertThat(matches("fileutils.go", "!fileutils.go", "*.go")).isTrue();
        assertThat(matches("docs/README.md", "docs", "!docs/README.md")).isFalse();
        assertThat(matches("docs/other.md", "docs", "!docs/README.md")).isTrue();
        assertThat(matches("util/docker/web/foo", "**", "!util/docker/web")).isFalse();
        assertThat(matches("util/docker/web/foo", "**", "!util/docker/web", "util/docker/web/foo"))
                .isTrue();
    }

    @Test
    void dockerDocsDockerignoreExamples() {
        PathPatterns temp = PathPatterns.compile(List.of("*/temp*"));
        assertThat(temp.matches("somedir/temporary.txt")).isTrue();
        assertThat(temp.matches("somedir/temp")).isTrue();
        assertThat(temp.matches("temp")).isFalse();

        PathPatterns deeper = PathPatterns.compile(List.of("*/*/temp*"));
        assertThat(deeper.matches("somedir/subdir/temporary.txt")).isTrue();
        assertThat(deeper.matches("somedir/temporary.txt")).isFalse();

        PathPatterns single = PathPatterns.compile(List.of("temp?"));
        assertThat(single.matches("tempa")).isTrue();
        assertThat(single.matches("tempb")).isTrue();
        assertThat(single.matches("temp")).isFalse();

        PathPatterns go = PathPatterns.compile(List.of("**/*.go"));
        assertThat(go.matches("main.go")).isTrue();
        assertThat(go.matches("cmd/tool/main.go")).isTrue();

        PathPatterns readmes = PathPatterns.compile(List.of("*.md", "!README*.md", "README-secret.md"));
        assertThat(readmes.matches("CHANGES.md")).isTrue();
        assertThat(readmes.matches("README.md")).isFalse();
        assertThat(readmes.matches("README-public.md")).isFalse();
        assertThat(readmes.matches("README-secret.md")).isTrue();
    }

    @Test
    void leadingSlashAndDotSlashAreIgnored() {
        assertThat(matches("a/b", "/a/b")).isTrue();
        assertThat(matches("a/b", "./a/b")).isTrue();
        assertThat(matches("/a/b", "a")).isTrue();
        assertThat(matches("./a/b", "a//b")).isTrue();
        assertThat(matches("a/b", "  a/b  ")).isTrue();
    }

    @Test
    void theContextItselfIsNeverMatched() {
        assertThat(matches(".", "*")).isFalse();
        assertThat(matches("", "**")).isFalse();
        assertThat(matches("a", "/")).isFalse();
    }

    @Test
    void malformedPatternsAreRejectedWithTheirText() {
        assertThatThrownBy(() -> PathPatterns.compile(List.of("[")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"[\"");
        assertThatThrownBy(() -> PathPatterns.compile(List.of("!")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"!\"");
        assertThatThrownBy(() -> PathPatterns.compile(List.of("a[]"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void noPatternsMatchNothing() {
        assertThat(PathPatterns.compile(List.of()).matches("a")).isFalse();
        assertThat(PathPatterns.compile(List.of(" ", "")).isEmpty()).isTrue();
    }

    @Test
    void incrementalMatchingAgreesWithWholePathMatching() {
        List<String> patterns = List.of("a/*/c", "!a/b", "**/x", "d/**", "!d/keep");
        PathPatterns p = PathPatterns.compile(patterns);
        for (String path :
                List.of("a", "a/b", "a/b/c", "a/z/c", "a/z/c/d", "q/x", "q/x/y", "d", "d/keep", "d/keep/f", "d/f")) {
            PathPatterns.Match m = PathPatterns.Match.TOP;
            String prefix = "";
            for (String element : path.split("/")) {
                prefix = prefix.isEmpty() ? element : prefix + "/" + element;
                m = p.match(prefix, m);
            }
            assertThat(m.matched()).as(path).isEqualTo(p.matches(path));
        }
    }

    @Test
    void includeWalkSkipsDirectoriesNoPatternCanReach() {
        PathPatterns include = PathPatterns.compile(List.of("src/main/*.java", "docs/**"));
        assertThat(include.mayMatchUnder("src")).isTrue();
        assertThat(include.mayMatchUnder("src/main")).isTrue();
        assertThat(include.mayMatchUnder("src/test")).isFalse();
        assertThat(include.mayMatchUnder("node_modules")).isFalse();
        assertThat(include.mayMatchUnder("docs")).isTrue();
        assertThat(PathPatterns.compile(List.of("**/*.go")).mayMatchUnder("anything/deep"))
                .isTrue();
        assertThat(PathPatterns.compile(List.of("a*/b")).mayMatchUnder("abc")).isTrue();
        assertThat(PathPatterns.compile(List.of("a*/b")).mayMatchUnder("xbc")).isFalse();
    }

    @Test
    void excludeWalkSkipsSubtreesOnlyWhenNoExceptionCanApply() {
        PathPatterns plain = PathPatterns.compile(List.of("node_modules", "*.log"));
        assertThat(plain.matchesAllUnder("node_modules")).isTrue();
        assertThat(plain.matchesAllUnder("src")).isFalse();

        PathPatterns withException = PathPatterns.compile(List.of("build", "!build/keep.txt"));
        assertThat(withException.hasNegations()).isTrue();
        assertThat(withException.matchesAllUnder("build")).isFalse();
        assertThat(withException.matches("build/other")).isTrue();
        assertThat(withException.matches("build/keep.txt")).isFalse();

        PathPatterns unrelatedException = PathPatterns.compile(List.of("build", "!docs/keep.txt"));
        assertThat(unrelatedException.matchesAllUnder("build")).isTrue();
    }

    @Test
    void patternsOfADockerignoreFileMatchLikeDockerDoes() {
        // as the Dockerfile frontend's IgnoreFile reads them (IgnoreFileTest)
        List<String> patterns = List.of("node_modules", "build", "!build/keep.txt", "tmp", "*.log");
        PathPatterns p = PathPatterns.compile(patterns);
        assertThat(p.matches("build/out.o")).isTrue();
        assertThat(p.matches("build/keep.txt")).isFalse();
        assertThat(p.matches("app.log")).isTrue();
    }
}
