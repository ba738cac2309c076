package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.solver.ProgressEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TtyProgressTest {

    @Test
    void finalFrameListsEveryStepWithItsStateAndShowsTheFailedStepsOutput() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TtyProgress tty = new TtyProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), 60);
        Instant now = Instant.now();
        tty.onEvent(new ProgressEvent.VertexCached("sha256:a", "[1/3] FROM base", now));
        tty.onEvent(new ProgressEvent.VertexStarted("sha256:b", "[2/3] RUN make", now));
        tty.onEvent(new ProgressEvent.VertexLog(
                "sha256:b", "[2/3] RUN make", now, 1, "compiling\nlinking\n".getBytes(StandardCharsets.UTF_8)));
        tty.onEvent(new ProgressEvent.VertexFailed("sha256:b", "[2/3] RUN make", now, "exit code: 2"));
        tty.onEvent(new ProgressEvent.VertexStarted(
                "sha256:c", "[3/3] RUN a very long step name that cannot fit in sixty columns", now));
        tty.onEvent(new ProgressEvent.VertexCompleted("sha256:c", "[3/3] RUN x", now, Duration.ofMillis(1500)));

        tty.close();

        String screen = bytes.toString(StandardCharsets.UTF_8);
        assertThat(screen)
                .contains("[+] Building")
                .contains("(3/3) FINISHED")
                .contains(" => CACHED [1/3] FROM base")
                .contains(" => ERROR [2/3] RUN make")
                .contains(" => # linking")
                .contains("1.5s")
                .contains("\u001B[2K");
        screen.lines()
                .map(line -> line.replaceAll("\u001B\\[[0-9;]*[A-Za-z]", "").replace("\r", ""))
                .filter(line -> line.startsWith(" => "))
                .forEach(line -> assertThat(line.length()).isLessThanOrEqualTo(60));
    }

    @Test
    void theDaemonIsDrawnAtOnceAtTheHeadersEndBeforeAnyStep() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TtyProgress tty = new TtyProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), 60);

        tty.onDaemon("unix:///run/kiln/kiln.sock");

        String header = bytes.toString(StandardCharsets.UTF_8)
                .replaceAll("\u001B\\[[0-9;]*[A-Za-z]", "")
                .replace("\r", "")
                .lines()
                .findFirst()
                .orElseThrow();
        assertThat(header).startsWith("[+] Building 0.").endsWith(" unix:///run/kiln/kiln.sock");
        assertThat(header).hasSize(60);
        tty.close();
    }
}
