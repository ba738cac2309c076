package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two processes on one state directory: the second waits for the first, says so once, then goes on. */
class StateLockTest {

    @TempDir
    Path state;

    /** Run in a child JVM: holds the state's lock, says "held", and lets go after the given milliseconds. */
    public static void main(String[] args) throws Exception {
        try (StateLock lock = StateLock.acquire(Path.of(args[0]), Duration.ZERO, notice -> {})) {
            System.out.println("held");
            System.out.flush();
            Thread.sleep(Long.parseLong(args[1]));
        }
    }

    private Process holder(long millis) throws Exception {
        return ChildJvm.startAndAwait(
                "held",
                "-cp",
                System.getProperty("java.class.path"),
                StateLockTest.class.getName(),
                state.toString(),
                Long.toString(millis));
    }

    @Test
    void aSecondProcessWaitsSayingOnceForWhomThenTakesTheState() throws Exception {
        Process first = holder(1500);
        List<String> notices = new CopyOnWriteArrayList<>();

        try (StateLock lock = StateLock.acquire(state, Duration.ofSeconds(60), notices::add)) {
            assertThat(first.waitFor()).isZero();
        }

        assertThat(notices)
                .singleElement()
                .asString()
                .contains("waiting for state " + state)
                .contains("process " + first.pid());
    }

    @Test
    void theWaitEndsAtTheTimeoutWithAnErrorNamingTheHolder() throws Exception {
        Process first = holder(60_000);
        try {
            assertThatThrownBy(() -> StateLock.acquire(state, Duration.ofMillis(300), notice -> {}))
                    .isInstanceOf(StateLock.StateBusyException.class)
                    .hasMessageContaining("in use by process " + first.pid())
                    .hasMessageContaining("within 300ms")
                    .hasMessageContaining("--state-timeout");
        } finally {
            first.destroyForcibly().waitFor();
        }
        // a killed holder's lock is the kernel's to release: the state is free at once
        try (StateLock lock = StateLock.acquire(state, Duration.ZERO, notice -> {})) {
            assertThat(lock).isNotNull();
        }
    }

    @Test
    void anEngineWaitsForAnotherProcessesEngineOnTheSameState() throws Exception {
        Process first = holder(1000);
        List<String> notices = new CopyOnWriteArrayList<>();
        try (Engine engine = Engine.open(
                new EngineOptions(state, "auto"),
                Frontends.discover(StateLockTest.class.getClassLoader()),
                notices::add)) {
            assertThat(first.isAlive()).isFalse();
            assertThatThrownBy(() -> Engine.open(new EngineOptions(state, "auto")))
                    .hasMessageContaining("already open by an engine in this process");
        }
        assertThat(notices).hasSize(1);
    }
}
