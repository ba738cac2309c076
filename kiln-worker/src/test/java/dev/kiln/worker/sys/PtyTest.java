package dev.kiln.worker.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PtyTest {
    @Test
    void openedTerminalHasTheRequestedSizeAndFollowsResizes() throws Exception {
        try (Pty pty = Pty.open(new Pty.WindowSize(24, 80))) {
            assertThat(pty.slavePath().toString()).startsWith("/dev/pts/");
            assertThat(pty.windowSize()).isEqualTo(new Pty.WindowSize(24, 80));

            pty.resize(new Pty.WindowSize(50, 132));

            assertThat(pty.windowSize()).isEqualTo(new Pty.WindowSize(50, 132));
        }
    }

    @Test
    void aLineTheProcessSideWritesEndsAsOnATerminalFromTheStart() throws Exception {
        // as runc leaves its host console once the process runs, so a line is translated the same early or late
        assertThat(shownOnTheTerminal("hello\n")).isEqualTo("hello\r\n");
    }

    @Test
    void aLineTranslatedByTheContainersTerminalAsWellReadsAsOnce() throws Exception {
        // what runc copies from the container's terminal before it clears that one's own translation
        assertThat(shownOnTheTerminal("early\r\n", "progress\r", "\r\rdone\n"))
                .isEqualTo("early\r\nprogress\rdone\r\n");
    }

    /** What the master of a new Pty reads after the process side wrote {@code writes}, each in a write of its own. */
    private static String shownOnTheTerminal(String... writes) throws Exception {
        try (Pty pty = Pty.open(new Pty.WindowSize(24, 80))) {
            try (FileOutputStream terminal =
                    new FileOutputStream(pty.slavePath().toFile())) {
                for (String write : writes) {
                    terminal.write(write.getBytes(StandardCharsets.US_ASCII));
                }
            }
            return readAll(pty);
        }
    }

    /** What the master reads until every slave descriptor is closed, this Pty's own included. */
    private static String readAll(Pty pty) throws Exception {
        pty.closeSlave();
        java.io.ByteArrayOutputStream screen = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[64];
        for (int n; (n = pty.read(buffer, 0, buffer.length)) > 0; ) {
            screen.write(buffer, 0, n);
        }
        return screen.toString(StandardCharsets.US_ASCII);
    }
}
