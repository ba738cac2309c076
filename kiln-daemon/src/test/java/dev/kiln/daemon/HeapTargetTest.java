package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The daemon's old generation is collected once promoted garbage passes a quarter of the live size. */
class HeapTargetTest {

    private static final long MIB = 1024 * 1024;

    @Test
    void theTargetIsTheLiveSizeAndAQuarterAsMuchAgainAndAtLeastTheLeastGrowthMore() {
        assertThat(HeapTarget.threshold(10 * MIB, 8 * MIB)).isEqualTo(18 * MIB);
        assertThat(HeapTarget.threshold(100 * MIB, 8 * MIB)).isEqualTo(125 * MIB);
        assertThat(HeapTarget.threshold(0, 8 * MIB)).isEqualTo(8 * MIB);
    }

    @Test
    void garbageThatLivedLongEnoughToBePromotedIsCollectedOnceItPassesTheTarget() {
        try (HeapTarget target = HeapTarget.start(8 * MIB)) {
            List<byte[]> held = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (target.collections() == 0 && System.nanoTime() < deadline) {
                // held across many young collections, as a build's tree is, then dropped at once
                for (int i = 0; i < 64; i++) {
                    held.add(new byte[64 * 1024]);
                }
                for (int i = 0; i < 2_000; i++) {
                    held.add(new byte[1024]);
                    held.removeLast();
                }
                if (held.size() > 2_000) {
                    held.clear();
                }
            }
            assertThat(target.collections())
                    .as("full collections asked for by the target")
                    .isPositive();
        }
    }
}
