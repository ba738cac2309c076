package dev.kiln.worker.fs;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.core.PathPatterns;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Patterns and paths from any bytes: the lines before the first NUL are patterns, the lines after it are
 * paths (the first 16: each is tried under each). Compiling fails only with the IllegalArgumentException it
 * documents; matching never fails; and the two answers a walk relies on to skip a directory hold for what is
 * under it.
 */
class PathPatternsFuzzTest {
    private static final int MAX_PATHS = 16;

    @FuzzTest
    void match(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        int nul = text.indexOf('\0');
        List<String> patterns = List.of((nul < 0 ? text : text.substring(0, nul)).split("\n", -1));
        List<String> paths = nul < 0
                ? List.of("a", "a/b")
                : Arrays.stream(text.substring(nul + 1).split("\n", -1))
                        .limit(MAX_PATHS)
                        .toList();
        Optional<PathPatterns> compiledIfValid = FuzzedPatterns.compile(patterns);
        if (compiledIfValid.isEmpty()) {
            return;
        }
        PathPatterns compiled = compiledIfValid.get();
        for (String dir : paths) {
            boolean all = compiled.matchesAllUnder(dir);
            boolean may = compiled.mayMatchUnder(dir);
            String top = PathPatterns.normalize(dir);
            for (String child : paths) {
                String under = PathPatterns.normalize(child);
                if (top.isEmpty() || under.isEmpty() || under.equals("..") || under.startsWith("../")) {
                    continue; // not a path under dir
                }
                String path = top + "/" + under;
                boolean matched = compiled.matches(path);
                if (all) {
                    assertThat(matched)
                            .as("%s matches all under %s, so %s", compiled, dir, path)
                            .isTrue();
                }
                if (!may) {
                    assertThat(matched)
                            .as("%s matches nothing under %s, so not %s", compiled, dir, path)
                            .isFalse();
                }
            }
        }
    }
}
