package dev.kiln.daemon;

import dev.kiln.core.ImageReference;
import org.junit.jupiter.api.Test;

/**
 * The probe's failures, checked the same way on each engine that serves the gateway (Kiln's daemon and buildkitd):
 * a failing Java frontend fails the client's build with its own message, a failing step with the step's error.
 */
interface ProbeFailures {

    /**
     * Where the probe runs.
     *
     * @param failedStepError what the message of a build whose step failed holds on this engine
     */
    record Engine(String address, ImageReference busybox, String failedStepError) {}

    Engine probeEngine();

    @Test
    default void aFailingJavaFrontendFailsTheBuildWithItsMessage() {
        Engine engine = probeEngine();
        ProbeFrontend.assertItsFailureFailsTheBuild(engine.address(), engine.busybox());
    }

    @Test
    default void aFailingStepFailsTheBuildWithTheStepsError() {
        Engine engine = probeEngine();
        ProbeFrontend.assertAFailingStepFailsTheBuild(engine.address(), engine.busybox(), engine.failedStepError());
    }
}
