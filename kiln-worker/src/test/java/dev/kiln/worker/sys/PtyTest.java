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
    void whatTheProcessSideWritesIsReadOnTheMasterUnchanged() throws Exception {
        try (Pty pty = Pty.open(new Pty.WindowSize(24, 80))) {
            try (FileOutputStream terminal =
                    new FileOutputStream(pty.slavePath().toFile())) {
                terminal.write("hello\n".getBytes(StandardCharsets.US_ASCII));
            }

            byte[] buffer = new byte[64];
            int n = pty.read(buffer, 0, buffer.length);

            // raw from the start: the container's own terminal turns "\n" into "\r\n", this one must not again
            assertThat(new String(buffer, 0, n, StandardCharsets.US_ASCII)).isEqualTo("hello\n");
        }
    }
}
