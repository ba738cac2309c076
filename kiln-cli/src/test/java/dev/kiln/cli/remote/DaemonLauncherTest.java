package dev.kiln.cli.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The java command a client starts its daemon with: the client's own, less the flags that record an AOT cache. */
class DaemonLauncherTest {

    @Test
    void daemonKeepsTheClientsFlagsAndClassPathButNotItsAotTraining() {
        List<String> client = List.of(
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:AOTCache=/k/kiln.aot",
                "-XX:+UnlockDiagnosticVMOptions",
                "-XX:-AOTReplayTraining",
                "-XX:AOTCacheOutput=/k/new.aot",
                "-cp",
                "/k/kiln-cli.jar:/k/lib.jar",
                "dev.kiln.cli.Main",
                "build",
                ".");

        assertThat(DaemonLauncher.javaCommand("/jdk/bin/java", client))
                .containsExactly(
                        "/jdk/bin/java",
                        "-Xms32m",
                        "-Xmn8m",
                        "-XX:MinHeapFreeRatio=10",
                        "-XX:MaxHeapFreeRatio=30",
                        "-XX:ReservedCodeCacheSize=12m",
                        "--enable-native-access=ALL-UNNAMED",
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-XX:AOTCache=/k/kiln.aot",
                        "-XX:+UnlockDiagnosticVMOptions",
                        "-cp",
                        "/k/kiln-cli.jar:/k/lib.jar");
    }

    @Test
    void theKilnCommandGivesAForegroundDaemonTheSameHeap() throws Exception {
        String launcher = Files.readString(Path.of("..", "kiln"));
        assertThat(launcher.replaceAll("\\s+", " "))
                .contains("daemon_memory=(" + String.join(" ", DaemonLauncher.MEMORY) + ")");
    }

    @Test
    void theFlagADaemonDropsIsTheOneTheKilnCommandGivesItsClients() throws Exception {
        String launcher = Files.readString(Path.of("..", "kiln"));
        assertThat(launcher).contains("-XX:+UnlockDiagnosticVMOptions -XX:-AOTReplayTraining)");
        assertThat(DaemonLauncher.javaCommand(
                        "/jdk/bin/java", List.of("-XX:-AOTReplayTraining", "-cp", "/k/a.jar", "dev.kiln.cli.Main")))
                .doesNotContain("-XX:-AOTReplayTraining");
    }

    @Test
    void daemonMapsItsOwnAotCacheWhenTheSameTrainingMadeIt(@TempDir Path target) throws Exception {
        Path client = Files.writeString(target.resolve("kiln.aot"), "client");
        Path daemon = Files.writeString(target.resolve(DaemonLauncher.DAEMON_CACHE), "daemon");
        List<String> args = List.of("-XX:AOTCache=" + client, "-cp", "/k/kiln-cli.jar", "dev.kiln.cli.Main", "build");

        Files.setLastModifiedTime(client, FileTime.fromMillis(1_000_000));
        Files.setLastModifiedTime(daemon, FileTime.fromMillis(2_000_000));
        assertThat(DaemonLauncher.javaCommand("/jdk/bin/java", args)).contains("-XX:AOTCache=" + daemon);

        // older than the client's: left from an earlier training, whose jars may have been rebuilt since
        Files.setLastModifiedTime(daemon, FileTime.fromMillis(500_000));
        assertThat(DaemonLauncher.javaCommand("/jdk/bin/java", args)).contains("-XX:AOTCache=" + client);

        Files.delete(daemon);
        assertThat(DaemonLauncher.javaCommand("/jdk/bin/java", args)).contains("-XX:AOTCache=" + client);
    }
}
