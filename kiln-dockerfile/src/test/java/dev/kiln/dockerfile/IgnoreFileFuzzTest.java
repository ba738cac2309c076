package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.worker.fs.PathPatterns;
import java.util.List;

/**
 * Any bytes as a .dockerignore: reading it never fails, and every pattern it yields is one the worker's matcher
 * compiles (or refuses with the IllegalArgumentException naming the pattern that it documents) and can match
 * paths with.
 */
class IgnoreFileFuzzTest {

    private static final List<String> PATHS = List.of("Dockerfile", ".dockerignore", "src/main/App.java",
            "node_modules/x/y", ".git/HEAD", "a b/c", "dir", "dir/sub/file.txt");

    @FuzzTest
    void patterns(byte[] data) {
        List<String> patterns = IgnoreFile.patterns(data);

        for (String pattern : patterns) {
            assertThat(pattern).isNotBlank();
        }
        PathPatterns compiled;
        try {
            compiled = PathPatterns.compile(patterns);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).startsWith("invalid pattern");
            return;
        }
        for (String path : PATHS) {
            compiled.matches(path);
            compiled.mayMatchUnder(path);
        }
    }
}
