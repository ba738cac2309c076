package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.core.PathPatterns;
import dev.kiln.worker.fs.FuzzedPatterns;
import java.util.List;
import java.util.Optional;

/**
 * Any bytes as a .dockerignore: reading it never fails, every pattern comes out Go-cleaned as Docker makes it, and
 * the worker's matcher compiles the patterns (or refuses one with the IllegalArgumentException it documents) and
 * can match paths with them. Docker's quirks are kept, so they are not checked against: " // //" reads as " "
 * (which the matcher then skips), and "/../!/x" reads as "!/x", an exception.
 */
class IgnoreFileFuzzTest {

    private static final List<String> PATHS = List.of(
            "Dockerfile",
            ".dockerignore",
            "src/main/App.java",
            "node_modules/x/y",
            ".git/HEAD",
            "a b/c",
            "dir",
            "dir/sub/file.txt");

    @FuzzTest
    void patterns(byte[] data) {
        List<String> patterns = IgnoreFile.patterns(data);

        for (String pattern : patterns) {
            String path = pattern.startsWith("!") ? pattern.substring(1) : pattern;
            if (!path.equals("/")) {
                assertThat(path).doesNotEndWith("/").doesNotContain("//");
            }
        }
        Optional<PathPatterns> compiledIfValid = FuzzedPatterns.compile(patterns);
        if (compiledIfValid.isEmpty()) {
            return;
        }
        PathPatterns compiled = compiledIfValid.get();
        for (String path : PATHS) {
            compiled.matches(path);
            compiled.mayMatchUnder(path);
        }
    }
}
