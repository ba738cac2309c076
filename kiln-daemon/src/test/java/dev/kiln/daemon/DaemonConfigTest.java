package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.DiskSpace;
import dev.kiln.engine.GcPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

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
        assertThat(config.tls())
                .contains(new DaemonConfig.TlsFiles(
                        Path.of("/etc/kiln/ca.pem"), Path.of("/etc/kiln/server.pem"), Path.of("/etc/kiln/server.key")));
        assertThat(config.insecureRegistries()).containsExactlyInAnyOrder("127.0.0.1:5000", "mirror.local");
        assertThat(config.runtime()).isEqualTo("crun");
        assertThat(config.warnings())
                .containsExactly(
                        "config: debug is not used by kiln daemon",
                        "config: registry.mirror.local.mirrors is not used by kiln daemon");
    }

    @Test
    void aBrokenConfigNamesItsLine() {
        assertThatThrownBy(() -> TomlFile.parse("root = \"/a\"\n[grpc\naddress = 1\n", "k.toml"))
                .hasMessage("k.toml:2: expected '.' or ']'");
        assertThatThrownBy(() -> TomlFile.parse("root = \"/a\nx = 1\n", "k.toml"))
                .hasMessage("k.toml:1: unterminated string");
        assertThatThrownBy(() -> TomlFile.parse("a = 1\na = 2\n", "k.toml")).hasMessage("k.toml:2: key a is set twice");
        assertThatThrownBy(() ->
                        DaemonConfig.fromFile(TomlFile.parse("[grpc.tls]\ncert = \"c\"\n", "k.toml"), Path.of("/s")))
                .hasMessageContaining("grpc.tls.ca is missing");
    }

    @Test
    void gcPoliciesReadAsBuildkitdReadsThem() {
        TomlFile file = TomlFile.parse("""
                [worker.oci]
                  gc = true
                  binary = "runc"

                [[worker.oci.gcpolicy]]
                  filters = [ "type==source.local", "type==exec.cachemount",
                              "type==source.git.checkout" ]  # the easily fetched again
                  keepDuration = "48h"
                  maxUsedSpace = "512MB"

                [[worker.oci.gcpolicy]]
                  keepDuration = 5184000
                  keepBytes = "10%"
                  maxUsedSpace = 20000000000
                  minFreeSpace = "20%"

                [[worker.oci.gcpolicy]]
                  all = true
                  keepDuration = "3600"
                  keepBytes = "1GB"
                  reservedSpace = "2GB"
                  color = "blue"
                """, "buildkitd.toml");
        DaemonConfig config = DaemonConfig.fromFile(file, Path.of("/var/lib/kiln"));

        assertThat(config.runtime()).isEqualTo("runc");
        assertThat(config.warnings())
                .containsExactly("config: buildkitd.toml:22: worker.oci.gcpolicy.color is not used by kiln daemon");
        assertThat(config.gc().policies(100_000_000_000L))
                .containsExactly(
                        new GcPolicy(
                                false,
                                List.of("type==source.local", "type==exec.cachemount", "type==source.git.checkout"),
                                Duration.ofHours(48),
                                0,
                                512L << 20,
                                0),
                        // keepBytes stands for reservedSpace; 10% and 20% of 100 GB are rounded up to whole GiB, in GB
                        new GcPolicy(
                                false,
                                List.of(),
                                Duration.ofDays(60),
                                10_000_000_000L,
                                20_000_000_000L,
                                19_000_000_000L),
                        new GcPolicy(true, List.of(), Duration.ofHours(1), 2L << 30, 0, 0));
    }

    @Test
    void withoutPoliciesTheDefaultsUseTheWorkersLimitsAndGcFalseTurnsItOff() {
        long disk = 500_000_000_000L;
        assertThat(DaemonConfig.fromFile(TomlFile.parse("", "none"), Path.of("/s"))
                        .gc()
                        .policies(disk))
                .isEqualTo(GcPolicy.defaults(disk));
        DaemonConfig limited = DaemonConfig.fromFile(TomlFile.parse("""
                [worker.oci]
                  gckeepstorage = 1000000000
                """, "k.toml"), Path.of("/s"));
        assertThat(limited.gc().policies(disk))
                .isEqualTo(
                        GcPolicy.defaults(DiskSpace.ofBytes(1_000_000_000L), DiskSpace.UNSET, DiskSpace.UNSET, disk));
        assertThat(limited.gc().policies(disk).get(2).reservedSpace()).isEqualTo(1_000_000_000L);
        DaemonConfig spaces = DaemonConfig.fromFile(TomlFile.parse("""
                [worker.oci]
                  gckeepstorage = "9GB"
                  reservedSpace = "1GB"
                  maxUsedSpace = "50%"
                  minFreeSpace = "10GB"
                """, "k.toml"), Path.of("/s"));
        assertThat(spaces.gc().policies(disk).get(3))
                .isEqualTo(new GcPolicy(true, List.of(), Duration.ZERO, 1L << 30, 233_000_000_000L, 10L << 30));
        DaemonConfig off = DaemonConfig.fromFile(TomlFile.parse("[worker.oci]\ngc = false\n", "k.toml"), Path.of("/s"));
        assertThat(off.gc().on()).isFalse();
        assertThat(off.gc().policies(disk)).isEmpty();
    }

    @Test
    void aBrokenGcPolicyNamesItsLine() {
        assertThatThrownBy(() -> DaemonConfig.fromFile(TomlFile.parse("""
                [[worker.oci.gcpolicy]]
                  all = true

                [[worker.oci.gcpolicy]]
                  maxUsedSpace = "lots"
                """, "k.toml"), Path.of("/s")))
                .hasMessageStartingWith("k.toml:5: worker.oci.gcpolicy.maxUsedSpace: invalid disk space lots");
        assertThatThrownBy(() -> DaemonConfig.fromFile(TomlFile.parse("""
                [[worker.oci.gcpolicy]]
                  keepDuration = "two days"
                """, "k.toml"), Path.of("/s")))
                .hasMessage("k.toml:2: worker.oci.gcpolicy.keepDuration: invalid duration two days (expected a "
                        + "duration such as \"48h\" or a number of seconds)");
        assertThatThrownBy(() -> DaemonConfig.fromFile(TomlFile.parse("""
                [[worker.oci.gcpolicy]]
                  filters = ["type=="]
                """, "k.toml"), Path.of("/s")))
                .hasMessageStartingWith("k.toml:2: worker.oci.gcpolicy.filters: filter \"type==\": expected a value");
        assertThatThrownBy(() -> DaemonConfig.fromFile(TomlFile.parse("""
                [worker.oci]
                  gc = "yes"
                """, "k.toml"), Path.of("/s")))
                .hasMessage("k.toml:2: worker.oci.gc must be true or false");
        assertThatThrownBy(() -> TomlFile.parse("""
                [[worker.oci.gcpolicy]]
                  filters = [ "type==regular",
                    "type==source.local"
                """, "k.toml"))
                .hasMessage("k.toml:4: unterminated array: expected ']'");
        assertThatThrownBy(() -> TomlFile.parse("""
                [[worker.oci.gcpolicy]]
                [worker.oci.gcpolicy.extra]
                """, "k.toml"))
                .hasMessage("k.toml:2: tables inside an array of tables are not supported");
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
            dev.kiln.api.session.SessionTunnel session = dev.kiln.api.session.SessionTunnel.open(
                    daemon.controlAsync(), java.util.UUID.randomUUID().toString(), "test", "", List.of());
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
        int code = DaemonCommand.run(
                List.of("status", "--state", dir.toString()), new java.io.PrintStream(out), System.err);
        assertThat(code).isEqualTo(3);
        assertThat(out.toString()).contains("no kiln daemon serves " + dir);
    }
}
