package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A command quoted as BuildKit's message quotes it with Go's %q. */
class GoQuotedTest {

    @Test
    void newlinesQuotesBackslashesAndControlsAreEscapedAndOtherTextKept() {
        // a heredoc's script, as a RUN step's command
        assertThat(GoQuoted.of("/bin/sh -c echo \"a\\tb\"\nexit 5\n"))
                .isEqualTo("\"/bin/sh -c echo \\\"a\\\\tb\\\"\\nexit 5\\n\"");
        assertThat(GoQuoted.of("\u0001\t\u007f\u200bé✓")).isEqualTo("\"\\x01\\t\\x7f\\u200bé✓\"");
    }
}
