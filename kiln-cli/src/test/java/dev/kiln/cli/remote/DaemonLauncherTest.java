package dev.kiln.cli.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The java command a client starts its daemon with: the client's own, less what only a short-lived client wants. */
class DaemonLauncherTest {

    @Test
    void daemonKeepsTheClientsFlagsAndClassPathButNotItsJitStopOrItsAotTraining() {
        List<String> client = List.of(
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                DaemonLauncher.CLIENT_JIT,
                "-XX:AOTCache=/k/kiln.aot",
                "-XX:AOTCacheOutput=/k/new.aot",
                "-cp",
                "/k/kiln-cli.jar:/k/lib.jar",
                "dev.kiln.cli.Main",
                "build",
                ".");

        assertThat(DaemonLauncher.javaCommand("/jdk/bin/java", client))
                .containsExactly(
                        "/jdk/bin/java",
                        "--enable-native-access=ALL-UNNAMED",
                        "-XX:+UseSerialGC",
                        "-XX:AOTCache=/k/kiln.aot",
                        "-cp",
                        "/k/kiln-cli.jar:/k/lib.jar");
    }
}
