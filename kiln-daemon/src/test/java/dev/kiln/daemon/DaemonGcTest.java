package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.control.DiskUsageRequest;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.UsageRecord;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.worker.BusyboxRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's garbage collection: its buildkitd.toml policies run by themselves after builds. */
class DaemonGcTest {

    @TempDir
    Path tmp;

    private static State write(BusyboxRegistry images, String name) {
        return State.image(images.busybox().toString())
                .run(RunOption.sh("head -c 2000000 /dev/zero > /" + name), OpOption.customName("write " + name))
                .root();
    }

    private static List<UsageRecord> records(DaemonFixture daemon) {
        return daemon.control().diskUsage(DiskUsageRequest.getDefaultInstance()).getRecordList();
    }

    private static List<String> descriptions(DaemonFixture daemon) {
        return records(daemon).stream().map(UsageRecord::getDescription).toList();
    }

    @Test
    void aTightMaxUsedSpacePolicyDropsTheOldStepAfterABuildAndKeepsTheNewest() throws Exception {
        long before;
        try (BusyboxRegistry images = BusyboxRegistry.start(tmp)) {
            try (DaemonFixture daemon = new DaemonFixture(
                    tmp, config -> config.withGc(GcSettings.defaults().withEnabled(false)))) {
                daemon.control()
                        .solve(SolveRequest.newBuilder()
                                .setDefinition(write(images, "old").marshal().toByteString())
                                .build());
                before =
                        records(daemon).stream().mapToLong(UsageRecord::getSize).sum();
                assertThat(descriptions(daemon)).contains("write old");
            }
            // room for what is there and half a step more: the next build's step pushes the cache over the cap
            String toml = """
                    [worker.oci]
                      gc = true

                    [[worker.oci.gcpolicy]]
                      filters = [
                        "type==regular",   # steps and pulled layers
                      ]
                      maxUsedSpace = %d
                    """.formatted(before + 1_000_000);
            GcSettings gc = DaemonConfig.fromFile(TomlFile.parse(toml, "buildkitd.toml"), tmp)
                    .gc()
                    .withInterval(Duration.ofMillis(200));
            try (DaemonFixture daemon = new DaemonFixture(tmp, config -> config.withGc(gc))) {
                Thread.sleep(1500);
                assertThat(descriptions(daemon))
                        .as("the collection at start finds the cache within its cap")
                        .contains("write old");

                daemon.control()
                        .solve(SolveRequest.newBuilder()
                                .setDefinition(write(images, "new").marshal().toByteString())
                                .build());

                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (descriptions(daemon).contains("write old") && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(descriptions(daemon)).doesNotContain("write old").contains("write new");
                assertThat(records(daemon).stream()
                                .mapToLong(UsageRecord::getSize)
                                .sum())
                        .isLessThanOrEqualTo(before + 1_000_000);
                assertThat(daemon.log.toString(StandardCharsets.UTF_8))
                        .contains("kiln daemon: gc removed 1 cache record, 2.00 MB freed");
            }
        }
    }
}
