package dev.kiln.engine;

import static dev.kiln.engine.ExportedFiles.listing;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.llb.CacheSharing;
import dev.kiln.llb.Mount;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.CacheSharingOpt;
import dev.kiln.worker.ops.CacheMounts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Cache mounts that several RUN steps use at once, as {@code RUN --mount=type=cache,sharing=...} does. */
class CacheMountSharingTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    @Test
    void stepsStartingTogetherOnANewSharedCacheMeetInOneDirectory() throws Exception {
        Mount.Cache shared = Mount.cache("meeting-" + UUID.randomUUID(), CacheSharing.SHARED);
        List<String> names = List.of("one", "two", "three", "four");
        List<State> steps = names.stream()
                .map(name -> EngineFixture.base()
                        .run(
                                RunOption.sh("touch /cache/" + name + "; i=0; "
                                        + "while [ $(ls /cache | wc -l) -lt 4 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; "
                                        + "ls /cache > /" + name + ".seen"),
                                RunOption.mount("/cache", shared),
                                OpOption.customName("meet " + name))
                        .root())
                .toList();

        Path out = kiln.build(State.merge(steps));

        for (String name : names) {
            assertThat(Files.readString(out.resolve(name + ".seen"))).as(name).isEqualTo("four\none\nthree\ntwo\n");
        }
    }

    /** Many takers of one new cache id at the same instant, many times over: all must get the same directory. */
    @Test
    void concurrentTakersOfANewSharedCacheAllGetTheSameDirectory() throws Exception {
        CacheMounts mounts = new CacheMounts(Files.createDirectories(kiln.dir.resolve("direct-cache-mounts")));
        int takers = 6;
        try (ExecutorService threads = Executors.newFixedThreadPool(takers)) {
            for (int round = 0; round < 40; round++) {
                String id = "round-" + round;
                Path seed = round % 2 == 0 ? null : seedWith(kiln.dir.resolve("seed-" + round), "seeded");
                CyclicBarrier start = new CyclicBarrier(takers);
                List<Future<CacheMounts.Lease>> leases = new ArrayList<>();
                for (int taker = 0; taker < takers; taker++) {
                    int me = taker;
                    leases.add(threads.submit(() -> {
                        start.await();
                        CacheMounts.Lease lease = mounts.acquire(id, CacheSharingOpt.SHARED, seed);
                        Files.writeString(lease.path().resolve("taker-" + me), "here");
                        return lease;
                    }));
                }
                List<Path> paths = new ArrayList<>();
                for (Future<CacheMounts.Lease> lease : leases) {
                    paths.add(lease.get().path());
                }
                assertThat(paths).as("round %d", round).containsOnly(paths.getFirst());
                List<String> expected = new ArrayList<>(
                        IntStream.range(0, takers).mapToObj(i -> "taker-" + i).toList());
                if (seed != null) {
                    expected.add("seeded");
                }
                assertThat(listing(paths.getFirst()))
                        .as("round %d", round)
                        .containsExactlyInAnyOrderElementsOf(expected);
                for (Future<CacheMounts.Lease> lease : leases) {
                    lease.get().close();
                }
            }
        }
    }

    @Test
    void privateCacheInUseGivesTheNextTakerAFreshDirectory() throws Exception {
        CacheMounts mounts = new CacheMounts(Files.createDirectories(kiln.dir.resolve("private-cache-mounts")));
        try (CacheMounts.Lease first = mounts.acquire("private", CacheSharingOpt.PRIVATE, null)) {
            Files.writeString(first.path().resolve("first"), "first");
            try (CacheMounts.Lease second = mounts.acquire("private", CacheSharingOpt.PRIVATE, null)) {
                assertThat(second.path()).isNotEqualTo(first.path());
                assertThat(listing(second.path())).isEmpty();
            }
        }
        try (CacheMounts.Lease later = mounts.acquire("private", CacheSharingOpt.PRIVATE, null)) {
            assertThat(listing(later.path())).containsExactly("first");
        }
    }

    private static Path seedWith(Path dir, String file) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(file), file);
        return dir;
    }
}
