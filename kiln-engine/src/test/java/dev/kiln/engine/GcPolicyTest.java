package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.llb.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The engine's garbage collection: buildkitd's policies run on real builds' records. */
class GcPolicyTest {

    @RegisterExtension
    final EngineFixture kiln = EngineFixture.eachTest();

    private static State write(String name) {
        return EngineFixture.writeStep(name, 300_000, "/dev/zero");
    }

    private long total() throws Exception {
        return kiln.engine.diskUsage(DiskUsageQuery.all()).stream()
                .mapToLong(UsageRecord::size)
                .sum();
    }

    private List<String> descriptions() throws Exception {
        return kiln.engine.diskUsage(DiskUsageQuery.all()).stream()
                .map(UsageRecord::description)
                .toList();
    }

    @Test
    void aTightMaxUsedSpacePolicyDropsTheLeastRecentlyUsedStepAndKeepsTheNewest() throws Exception {
        kiln.build(write("old"));
        Thread.sleep(50);
        kiln.build(write("new"));
        long before = total();
        kiln.reopen(options -> options.withGcPolicies(List.of(GcPolicy.maxUsedSpace(before - 100_000))));

        List<UsageRecord> reported = new ArrayList<>();
        List<UsageRecord> removed = kiln.engine.collectGarbage(reported::add);

        assertThat(removed).isEqualTo(reported);
        assertThat(removed).extracting(UsageRecord::description).containsExactly("write old");
        assertThat(removed.getFirst().size()).isBetween(300_000L, 400_000L);
        assertThat(descriptions())
                .contains("write new", "local source for rootfs")
                .doesNotContain("write old");
        assertThat(total()).isEqualTo(before - removed.getFirst().size());

        kiln.build(write("new"));
        assertThat(kiln.cached()).contains("write new");
        kiln.build(write("old"));
        assertThat(kiln.executed()).contains("write old");
    }

    @Test
    void policiesRunInOrderAndAFilteredOneTouchesOnlyItsType() throws Exception {
        kiln.build(write("one"));
        kiln.reopen(options -> options.withGcPolicies(List.of(
                GcPolicy.maxUsedSpace(1).withFilters("type==exec.cachemount", "type==source.git.checkout"),
                new GcPolicy(false, List.of("description==write one"), Duration.ZERO, 0, 0, 0))));

        List<UsageRecord> removed = kiln.engine.collectGarbage(r -> {});

        assertThat(removed).extracting(UsageRecord::description).containsExactly("write one");
        assertThat(descriptions()).containsExactly("local source for rootfs");
    }

    @Test
    void gcNeverRemovesWhatARunningBuildHolds() throws Exception {
        kiln.build(write("done"));
        kiln.reopen(options ->
                options.withGcPolicies(List.of(GcPolicy.maxUsedSpace(1).withAll(true))));
        Path out = Files.createTempDirectory(kiln.dir, "out-");
        CompletableFuture<BuildOutcome> building = kiln.startSlowBuild(out);

        List<UsageRecord> during = kiln.engine.collectGarbage(r -> {});

        assertThat(during)
                .extracting(UsageRecord::description)
                .contains("write done")
                .doesNotContain("local source for rootfs");
        building.get(60, TimeUnit.SECONDS);
        assertThat(Files.readString(out.resolve("slow"))).isEqualTo("done\n");
        List<UsageRecord> after = kiln.engine.collectGarbage(r -> {});
        assertThat(after).extracting(UsageRecord::description).contains("local source for rootfs", "slow step");
        assertThat(kiln.engine.diskUsage(DiskUsageQuery.all())).isEmpty();
    }

    @Test
    void gcOffRemovesNothingAndTheDefaultsAreBuildkitsFourTiers() throws Exception {
        kiln.build(write("kept"));
        assertThat(kiln.engine.gcPolicies()).hasSize(4);
        kiln.reopen(options -> options.withGc(false).withGcPolicies(List.of(GcPolicy.maxUsedSpace(1))));
        assertThat(kiln.engine.gcPolicies()).isEmpty();
        assertThat(kiln.engine.collectGarbage(r -> {})).isEmpty();
        assertThat(descriptions()).contains("write kept");

        List<GcPolicy> small = GcPolicy.defaults(100_000_000_000L);
        assertThat(small.getFirst())
                .isEqualTo(new GcPolicy(
                        false,
                        List.of("type==source.local", "type==exec.cachemount", "type==source.git.checkout"),
                        Duration.ofHours(48),
                        0,
                        512_000_000L,
                        0));
        // 10%, 80% and 20% of 100 GB, rounded up to whole GiB and counted in GB, as buildkitd does
        assertThat(small.get(1))
                .isEqualTo(new GcPolicy(
                        false, List.of(), Duration.ofDays(60), 10_000_000_000L, 75_000_000_000L, 19_000_000_000L));
        assertThat(small.get(2).keepDuration()).isZero();
        assertThat(small.get(3).all()).isTrue();
        List<GcPolicy> large = GcPolicy.defaults(1_000_000_000_000L);
        assertThat(large.get(2))
                .isEqualTo(new GcPolicy(
                        false, List.of(), Duration.ZERO, 10_000_000_000L, 100_000_000_000L, 187_000_000_000L));
        List<GcPolicy> capped = GcPolicy.defaults(DiskSpace.ofBytes(1_000_000), DiskSpace.UNSET, DiskSpace.UNSET, 0);
        assertThat(capped.get(3)).isEqualTo(new GcPolicy(true, List.of(), Duration.ZERO, 1_000_000, 0, 0));
    }

    @Test
    void diskSpacesReadAsBuildkitdReadsThem() {
        assertThat(DiskSpace.parse("10GB").asBytes(0)).isEqualTo(10L << 30);
        assertThat(DiskSpace.parse("512MB").asBytes(0)).isEqualTo(512L << 20);
        assertThat(DiskSpace.parse("1.5g").asBytes(0)).isEqualTo(3L << 29);
        assertThat(DiskSpace.parse("2048").asBytes(0)).isEqualTo(2048);
        assertThat(DiskSpace.parse("10%")).isEqualTo(DiskSpace.ofPercent(10));
        assertThat(DiskSpace.parse("10%").asBytes(50L << 30)).isEqualTo(6_000_000_000L);
        assertThat(DiskSpace.parse("10%").asBytes(0)).isEqualTo(2_000_000_000L);
        assertThatThrownBy(() -> DiskSpace.parse("lots")).hasMessageStartingWith("invalid disk space lots");
        assertThatThrownBy(() -> DiskSpace.parse("ten%")).hasMessageStartingWith("invalid disk space ten%");
    }
}
