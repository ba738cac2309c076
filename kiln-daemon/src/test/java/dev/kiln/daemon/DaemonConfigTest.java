package dev.kiln.daemon;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A buildkitd.toml-style config read with buildkitd's names, and the errors a broken one gets. */
class DaemonConfigTest {

    @Test
    void readsBuildkitdsNamesForWhatKilnUses() {
        TomlFile file = TomlFile.parse("""
                # a buildkitd.toml
                root = "/srv/kiln"
                debug = true

                [grpc]
                  address = [ "unix:///run/kiln/a.sock", "tcp://0.0.0.0:1234" ]
                  gid = 1000
                  [grpc.tls]
                    cert = "/etc/kiln/server.pem"
                    key = '/etc/kiln/server.key'
                    ca = "/etc/kiln/ca.pem"

                [registry."127.0.0.1:5000"]
                  http = true
                [registry."mirror.local"]
                  insecure = true
                  mirrors = ["m1.local"]

                [worker.oci]
                  binary = "crun"
                """, "buildkitd.toml");
        DaemonConfig config = DaemonConfig.fromFile(file, Path.of("/var/lib/kiln"));

        assertThat(config.stateDir()).isEqualTo(Path.of("/srv/kiln"));
        assertThat(config.addresses()).containsExactly("unix:///run/kiln/a.sock", "tcp://0.0.0.0:1234");
        assertThat(config.group()).contains("1000");
        assertThat(config.tls()).contains(new DaemonConfig.TlsFiles(Path.of("/etc/kiln/ca.pem"),
                Path.of("/etc/kiln/server.pem"), Path.of("/etc/kiln/server.key")));
        assertThat(config.insecureRegistries()).containsExactlyInAnyOrder("127.0.0.1:5000", "mirror.local");
        assertThat(config.runtime()).isEqualTo("crun");
        assertThat(config.warnings()).containsExactly("config: debug is not used by kiln daemon",
                "config: registry.mirror.local.mirrors is not used by kiln daemon");
    }

    @Test
    void aBrokenConfigNamesItsLine() {
        assertThatThrownBy(() -> TomlFile.parse("root = \"/a\"\n[grpc\naddress = 1\n", "k.toml"))
                .hasMessage("k.toml:2: expected '.' or ']'");
        assertThatThrownBy(() -> TomlFile.parse("root = \"/a\nx = 1\n", "k.toml"))
                .hasMessage("k.toml:1: unterminated string");
        assertThatThrownBy(() -> TomlFile.parse("a = 1\na = 2\n", "k.toml"))
                .hasMessage("k.toml:2: key a is set twice");
        assertThatThrownBy(() -> DaemonConfig.fromFile(TomlFile.parse("[grpc.tls]\ncert = \"c\"\n", "k.toml"),
                Path.of("/s"))).hasMessageContaining("grpc.tls.ca is missing");
    }

    @Test
    void idleTimeoutsReadAsDockerDurations() {
        assertThat(DaemonCommand.duration("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(DaemonCommand.duration("3h")).isEqualTo(Duration.ofHours(3));
        assertThat(DaemonCommand.duration("0")).isZero();
        assertThatThrownBy(() -> DaemonCommand.duration("soon")).hasMessageContaining("90s, 30m or 3h");
    }

    @Test
    void anIdleDaemonStopsAfterItsTimeoutButNotWhileAClientIsConnected(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        try (DaemonFixture daemon = new DaemonFixture(dir, Duration.ofMillis(800))) {
            dev.kiln.api.session.SessionTunnel session = dev.kiln.api.session.SessionTunnel.open(daemon.controlAsync(),
                    java.util.UUID.randomUUID().toString(), "test", "", List.of());
            var stopped = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    daemon.daemon.awaitStop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Thread.sleep(2500);
            assertThat(stopped).as("a daemon with a client connected stays").isNotDone();
            session.close();
            stopped.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void statusSaysWhenNoDaemonServesAState(@org.junit.jupiter.api.io.TempDir Path dir) {
        var out = new java.io.ByteArrayOutputStream();
        int code = DaemonCommand.run(List.of("status", "--state", dir.toString()), new java.io.PrintStream(out),
                System.err);
        assertThat(code).isEqualTo(3);
        assertThat(out.toString()).contains("no kiln daemon serves " + dir);
    }
}
