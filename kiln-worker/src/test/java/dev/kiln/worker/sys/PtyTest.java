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
        try (Pty pty = Pty.open(new Pty.WindowSize(24, 80))) {
            try (FileOutputStream terminal =
                    new FileOutputStream(pty.slavePath().toFile())) {
                terminal.write("hello\n".getBytes(StandardCharsets.US_ASCII));
            }

            // as runc leaves its host console once the process runs, so a line is translated the same early or late
            assertThat(readAll(pty)).isEqualTo("hello\r\n");
        }
    }

    @Test
    void aLineTranslatedByTheContainersTerminalAsWellReadsAsOnce() throws Exception {
        try (Pty pty = Pty.open(new Pty.WindowSize(24, 80))) {
            try (FileOutputStream terminal =
                    new FileOutputStream(pty.slavePath().toFile())) {
                // what runc copies from the container's terminal before it clears that one's own translation
                terminal.write("early\r\n".getBytes(StandardCharsets.US_ASCII));
                terminal.flush();
                terminal.write("progress\r".getBytes(StandardCharsets.US_ASCII));
                terminal.flush();
                terminal.write("\r\rdone\n".getBytes(StandardCharsets.US_ASCII));
            }

            assertThat(readAll(pty)).isEqualTo("early\r\nprogress\rdone\r\n");
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
