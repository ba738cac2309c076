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

    /**
     * Kiln's own rules and Docker's documented .dockerignore examples, each case named by the rule or example it
     * shows; {@code patterns} are in order, separated by commas.
     */
    @ParameterizedTest(name = "{0}: {1} matches {2}: {3}")
    @CsvSource(delimiter = ';', textBlock = """
      regexCharactersAreLiteral                         ; a.|)$(}+{bc                       ; a.|)$(}+{bc                  ; true
      regexCharactersAreLiteral                         ; a.|)$(}+{bc                       ; aX|)$(}+{bc                  ; false
      patternMatchingADirectoryMatchesEverythingUnderIt ; docs                              ; docs/api/index.md            ; true
      patternMatchingADirectoryMatchesEverythingUnderIt ; docs/                             ; docs/api/index.md            ; true
      patternMatchingADirectoryMatchesEverythingUnderIt ; docs                              ; docsx/index.md               ; false
      laterPatternsWinAndExceptionsReinclude            ; *.md,!README.md                   ; README.md                    ; false
      laterPatternsWinAndExceptionsReinclude            ; *.md,!README.md                   ; CHANGES.md                   ; true
      laterPatternsWinAndExceptionsReinclude            ; !fileutils.go,*.go                ; fileutils.go                 ; true
      laterPatternsWinAndExceptionsReinclude            ; docs,!docs/README.md              ; docs/README.md               ; false
      laterPatternsWinAndExceptionsReinclude            ; docs,!docs/README.md              ; docs/other.md                ; true
      laterPatternsWinAndExceptionsReinclude            ; **,!util/docker/web               ; util/docker/web/foo          ; false
      laterPatternsWinAndExceptionsReinclude   ; **,!util/docker/web,util/docker/web/foo ; util/docker/web/foo          ; true
      dockerDocsDockerignoreExamples                    ; */temp*                           ; somedir/temporary.txt        ; true
      dockerDocsDockerignoreExamples                    ; */temp*                           ; somedir/temp                 ; true
      dockerDocsDockerignoreExamples                    ; */temp*                           ; temp                         ; false
      dockerDocsDockerignoreExamples                    ; */*/temp*                         ; somedir/subdir/temporary.txt ; true
      dockerDocsDockerignoreExamples                    ; */*/temp*                         ; somedir/temporary.txt        ; false
      dockerDocsDockerignoreExamples                    ; temp?                             ; tempa                        ; true
      dockerDocsDockerignoreExamples                    ; temp?                             ; tempb                        ; true
      dockerDocsDockerignoreExamples                    ; temp?                             ; temp                         ; false
      dockerDocsDockerignoreExamples                    ; **/*.go                           ; main.go                      ; true
      dockerDocsDockerignoreExamples                    ; **/*.go                           ; cmd/tool/main.go             ; true
      dockerDocsDockerignoreExamples                    ; *.md,!README*.md,README-secret.md ; CHANGES.md                   ; true
      dockerDocsDockerignoreExamples                    ; *.md,!README*.md,README-secret.md ; README.md                    ; false
      dockerDocsDockerignoreExamples                    ; *.md,!README*.md,README-secret.md ; README-public.md             ; false
      dockerDocsDockerignoreExamples                    ; *.md,!README*.md,README-secret.md ; README-secret.md             ; true
      leadingSlashAndDotSlashAreIgnored                 ; /a/b                              ; a/b                          ; true
      leadingSlashAndDotSlashAreIgnored                 ; ./a/b                             ; a/b                          ; true
      leadingSlashAndDotSlashAreIgnored                 ; a                                 ; /a/b                         ; true
      leadingSlashAndDotSlashAreIgnored                 ; a//b                              ; ./a/b                        ; true
      leadingSlashAndDotSlashAreIgnored                 ; '  a/b  '                         ; a/b                          ; true
      theContextItselfIsNeverMatched                    ; *                                 ; .                            ; false
      theContextItselfIsNeverMatched                    ; **                                ; ''                           ; false
      theContextItselfIsNeverMatched                    ; /                                 ; a                            ; false
      """)
    void patternsFollowKilnsAndDockersRules(String rule, String patterns, String path, boolean expected) {
        assertThat(matches(path, patterns.split(","))).isEqualTo(expected);
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
