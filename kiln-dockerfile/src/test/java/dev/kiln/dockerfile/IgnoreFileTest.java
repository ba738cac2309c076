package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class IgnoreFileTest {

    @Test
    void readsPatternsAsDockerDoes() {
        String file =
                "\uFEFF# comment\n\n  node_modules  \n/abs/path\n!keep.txt\n! spaced\n./dir/../other/\n#not/a/pattern\n";
        assertThat(IgnoreFile.patterns(file.getBytes(StandardCharsets.UTF_8)))
                .containsExactly("node_modules", "abs/path", "!keep.txt", "!spaced", "other");
    }

    @Test
    void crlfLinesSpacesAfterTheBangAndTrailingSlashesAreReadAsDockerDoes() {
        String file = "\uFEFF# comment\n  node_modules/  \n\n/build\n! /build/keep.txt \n./docs/../tmp\n*.log\r\n";
        assertThat(IgnoreFile.patterns(file.getBytes(StandardCharsets.UTF_8)))
                .containsExactly("node_modules", "build", "!build/keep.txt", "tmp", "*.log");
    }
}
