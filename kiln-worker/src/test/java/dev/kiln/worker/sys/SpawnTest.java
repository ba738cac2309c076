package dev.kiln.worker.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Spawn.pipes against what ProcessBuilder's processes do, on real programs. */
class SpawnTest {

    @Test
    void outputErrorsAndTheExitCodeComeBackOnTheirOwnStreams() throws Exception {
        Process process = Spawn.pipes(List.of("sh", "-c", "echo out; echo err >&2; exit 3"));

        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("out\n");
        assertThat(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("err\n");
        assertThat(process.waitFor()).isEqualTo(3);
        assertThat(process.isAlive()).isFalse();
        assertThat(process.exitValue()).isEqualTo(3);
    }

    @Test
    void standardInputReachesTheChildAndClosingItEndsIt() throws Exception {
        Process process = Spawn.pipes(List.of("cat"));

        process.getOutputStream().write("through the pipe\n".getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();

        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("through the pipe\n");
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
    }

    @Test
    void theChildHasOnlyItsThreeStreamsOpen() throws Exception {
        Process process = Spawn.pipes(List.of("sh", "-c", "ls /proc/$$/fd"));

        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines())
                .containsExactly("0", "1", "2");
        assertThat(process.waitFor()).isZero();
    }

    @Test
    void destroySendsSigtermAndDestroyForciblySigkillAsProcessBuilderProcessesReportThem() throws Exception {
        Process terminated = Spawn.pipes(List.of("sleep", "60"));
        assertThat(terminated.isAlive()).isTrue();
        assertThat(terminated.waitFor(50, TimeUnit.MILLISECONDS)).isFalse();
        assertThatThrownBy(terminated::exitValue).isInstanceOf(IllegalThreadStateException.class);

        terminated.destroy();

        assertThat(terminated.waitFor()).isEqualTo(128 + 15);
        Process killed = Spawn.pipes(List.of("sleep", "60"));
        assertThat(killed.destroyForcibly().waitFor()).isEqualTo(128 + 9);
        assertThat(killed.onExit().get(10, TimeUnit.SECONDS)).isSameAs(killed);
    }

    @Test
    void aProgramThatDoesNotExistIsNamedInTheError() {
        assertThatThrownBy(() -> Spawn.pipes(List.of("/nonexistent/kiln-runtime", "run")))
                .isInstanceOf(IOException.class)
                .hasMessage("Cannot run program \"/nonexistent/kiln-runtime\": error=2, No such file or directory");
    }
}
