package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How the gateway's bridge calls find the forwarded build their header names. */
class ForwardedBuildsTest {

    private final ForwardedBuilds builds = new ForwardedBuilds();

    @Test
    void aCallForABuildThatEndedIsAnsweredAtOnce() throws Exception {
        ForwardedBuild build = new ForwardedBuild("ref-1", () -> false);
        builds.add(build);
        assertThat(builds.await("ref-1", Duration.ZERO)).isSameAs(build);
        builds.remove(build);

        long started = System.nanoTime();
        assertThatThrownBy(() -> builds.await("ref-1", Duration.ofMinutes(1)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).contains("ref-1 has ended");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aCallForABuildThatNeverCameWaitsItsTimeThenNamesIt() {
        assertThatThrownBy(() -> builds.await("unknown", Duration.ofMillis(50)))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getDescription()).contains("no running build unknown"));
    }

    @Test
    void aRefUsedAgainFindsItsNewBuild() throws Exception {
        ForwardedBuild first = new ForwardedBuild("again", () -> false);
        builds.add(first);
        builds.remove(first);
        ForwardedBuild second = new ForwardedBuild("again", () -> false);
        builds.add(second);

        assertThat(builds.await("again", Duration.ZERO)).isSameAs(second);
    }
}
