package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A build whose caller gives up: the running step stops, and nothing of it is kept. */
class CancellationTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    @BeforeAll
    static void open() throws Exception {
        kiln.build(EngineFixture.base());
    }

    @Test
    void interruptingTheBuildStopsTheRunningStepAndCachesNothing() throws Exception {
        // A sleep no other test runs, so its process can be told apart on the host.
        String seconds = Integer.toString(ThreadLocalRandom.current().nextInt(3000, 9000));
        State slow = EngineFixture.base()
                .run(RunOption.sh("exec sleep " + seconds), OpOption.customName("slow step"))
                .root();
        Set<String> cacheBefore = kiln.cacheFiles();
        AtomicReference<Throwable> failure = new AtomicReference<>();

        Thread build = Thread.ofVirtual().start(() -> {
            try {
                kiln.engine.build(
                        new BuildRequest(new FrontendSpec.Llb(slow.marshal()), Map.of(), kiln.locals, List.of()),
                        event -> {});
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        assertThat(waitFor(() -> sleeping(seconds), true))
                .as("the step's process started")
                .isTrue();
        build.interrupt();
        build.join(Duration.ofSeconds(30));

        assertThat(build.isAlive())
                .as("build still running after the interrupt")
                .isFalse();
        assertThat(failure.get()).isInstanceOf(InterruptedException.class);
        assertThat(waitFor(() -> sleeping(seconds), false))
                .as("the step's process was killed")
                .isTrue();
        assertThat(kiln.cacheFiles()).isEqualTo(cacheBefore);
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds() throws IOException;
    }

    /** Polls (up to 20 s) until {@code condition} is {@code wanted}; returns whether it got there. */
    private static boolean waitFor(Condition condition, boolean wanted) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (condition.holds() == wanted) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** Whether a process {@code sleep SECONDS} runs on this host (in any container). */
    private static boolean sleeping(String seconds) throws IOException {
        byte[] wanted = ("sleep\0" + seconds + "\0").getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path process : processes
                    .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .toList()) {
                try {
                    if (java.util.Arrays.equals(Files.readAllBytes(process.resolve("cmdline")), wanted)) {
                        return true;
                    }
                } catch (IOException gone) {
                    // the process ended while we looked
                }
            }
        }
        return false;
    }
}
