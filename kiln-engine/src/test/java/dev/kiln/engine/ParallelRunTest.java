package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.export.ExportTarget;
import dev.kiln.llb.CacheSharing;
import dev.kiln.llb.Mount;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ParallelRunTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    /**
     * Each step leaves its marker in a shared cache directory and waits (at most 20 s) for the
     * other's: both can only succeed if they run at the same time.
     */
    @Test
    void independentRunStepsOverlapInTime() throws Exception {
        Mount.Cache shared = Mount.cache("rendezvous-" + UUID.randomUUID(), CacheSharing.SHARED);
        State left = rendezvous("left", "right", shared);
        State right = rendezvous("right", "left", shared);

        Path out = kiln.build(State.merge(List.of(left, right)));

        assertThat(Files.readString(out.resolve("left.txt"))).isEqualTo("left saw right\n");
        assertThat(Files.readString(out.resolve("right.txt"))).isEqualTo("right saw left\n");
        assertThat(kiln.executed()).contains("step left", "step right");
    }

    @Test
    void concurrentBuildsOfTheSameStepRunItOnce() throws Exception {
        State step = EngineFixture.base()
                .run(
                        RunOption.sh("sleep 1; cat /proc/sys/kernel/random/uuid > /ran"),
                        OpOption.customName("shared step " + UUID.randomUUID()))
                .root();
        Path one = Files.createTempDirectory(kiln.dir, "concurrent-");
        Path two = Files.createTempDirectory(kiln.dir, "concurrent-");

        try (ExecutorService builds = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<BuildOutcome> first = builds.submit(() -> kiln.engine.build(exportingTo(step, one), event -> {}));
            Future<BuildOutcome> second = builds.submit(() -> kiln.engine.build(exportingTo(step, two), event -> {}));
            first.get();
            second.get();
        }

        // The file holds a random uuid the step drew: one run, both results.
        assertThat(Files.readString(two.resolve("ran"))).isEqualTo(Files.readString(one.resolve("ran")));
    }

    private static BuildRequest exportingTo(State state, Path dest) {
        return new BuildRequest(
                new FrontendSpec.Llb(state.marshal()),
                Map.of(),
                kiln.locals,
                List.of(new ExportTarget.LocalDirectory(dest)));
    }

    private static State rendezvous(String me, String other, Mount.Cache shared) {
        String script = "touch /shared/" + me + "; i=0; "
                + "while [ ! -e /shared/" + other + " ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; "
                + "[ -e /shared/" + other + " ] || { echo " + me + " never saw " + other + " >&2; exit 1; }; "
                + "echo " + me + " saw " + other + " > /" + me + ".txt";
        return EngineFixture.base()
                .run(RunOption.sh(script), RunOption.mount("/shared", shared), OpOption.customName("step " + me))
                .root();
    }
}
