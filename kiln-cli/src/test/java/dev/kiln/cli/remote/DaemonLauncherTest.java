package dev.kiln.cli.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The java command a client starts its daemon with: the client's own, less the flags that record an AOT cache. */
class DaemonLauncherTest {

    @Test
    void daemonKeepsTheClientsFlagsAndClassPathButNotItsAotTraining() {
        List<String> client = List.of(
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
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
                        "-XX:TieredStopAtLevel=1",
                        "-XX:AOTCache=/k/kiln.aot",
                        "-cp",
                        "/k/kiln-cli.jar:/k/lib.jar");
    }
}
