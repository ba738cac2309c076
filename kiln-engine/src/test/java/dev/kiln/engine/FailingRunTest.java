package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.engine.gateway.VertexFailure;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.solver.ProgressEvent;
import dev.kiln.worker.ops.ExecFailedException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FailingRunTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    /** The failure of a build of one RUN step, {@code run}, named {@code name}, on the base. */
    private static BuildException failedRun(RunOption run, String name) {
        State failing = EngineFixture.base().run(run, OpOption.customName(name)).root();
        return catchThrowableOfType(BuildException.class, () -> kiln.build(failing));
    }

    @Test
    void failingRunReportsItsProcessAndExitCodeAsBuildKitDoesAndItsOutputInProgress() throws Exception {
        BuildException failure = failedRun(RunOption.sh("echo some output; echo oops >&2; exit 3"), "the failing step");

        // BuildKit's message: the step's name and digest travel beside it, its output was shown as it ran
        assertThat(failure.getMessage())
                .isEqualTo("process \"/bin/sh -c echo some output; echo oops >&2; exit 3\" did not complete "
                        + "successfully: exit code: 3");
        assertThat(VertexFailure.in(failure))
                .hasValueSatisfying(vertex -> assertThat(vertex.vertexDigest()).startsWith("sha256:"));
        assertThat(failedStepsReport("the failing step")).isEqualTo(failure.getMessage());
        assertThat(lastOutput(failure)).contains("some output").contains("oops");
        assertThat(kiln.events)
                .anySatisfy(event -> assertThat(event)
                        .isInstanceOfSatisfying(
                                ProgressEvent.VertexLog.class,
                                log -> assertThat(new String(log.data(), StandardCharsets.UTF_8))
                                        .contains("some output")));
    }

    /** The last lines the failed step's process wrote, which Java callers get beside BuildKit's message. */
    private static String lastOutput(BuildException failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ExecFailedException step) {
                return step.lastOutput();
            }
        }
        throw new AssertionError("no failed RUN step behind " + failure);
    }

    /** What the progress said of the failed step {@code name}: its error as the display shows it. */
    private static String failedStepsReport(String name) {
        return kiln.events.stream()
                .filter(event -> event instanceof ProgressEvent.VertexFailed failed
                        && failed.vertexName().equals(name))
                .map(event -> ((ProgressEvent.VertexFailed) event).message())
                .findFirst()
                .orElseThrow(() -> new AssertionError("no failure of " + name + " in the progress"));
    }

    @Test
    void failedStepIsNotCachedWhileTheStepsBeforeItAre() throws Exception {
        String marker = UUID.randomUUID().toString();
        State failing = EngineFixture.base()
                .run(RunOption.sh("echo " + marker + " > /before"), OpOption.customName("step before"))
                .root()
                .run(RunOption.sh("cat /before; exit 1"), OpOption.customName("step that fails"))
                .root();
        catchThrowableOfType(BuildException.class, () -> kiln.build(failing));
        assertThat(kiln.executed()).contains("step before", "step that fails");

        BuildException again = catchThrowableOfType(BuildException.class, () -> kiln.build(failing));

        assertThat(again.getMessage()).contains("cat /before; exit 1");
        assertThat(lastOutput(again)).contains(marker);
        assertThat(kiln.executed()).containsExactly("step that fails");
        assertThat(kiln.cached()).contains("step before");
    }

    @Test
    void aFailedStepsFilesAreGoneWhenTheBuildEnds() throws Exception {
        State base = EngineFixture.base()
                .run(RunOption.sh("echo base > /base-" + UUID.randomUUID()), OpOption.customName("base of a failure"))
                .root();
        kiln.build(base);
        int records = kiln.engine.diskUsage(DiskUsageQuery.all()).size();

        catchThrowableOfType(
                BuildException.class,
                () -> kiln.build(base.run(RunOption.sh("head -c 100000 /dev/zero > /junk; exit 4"))
                        .root()));

        assertThat(kiln.engine.diskUsage(DiskUsageQuery.all())).hasSize(records);
    }

    @Test
    void longOutputIsCutToItsLastLinesInProgressAndLeftOutOfTheMessage() throws Exception {
        BuildException failure =
                failedRun(RunOption.sh("for i in $(seq 1 100); do echo line $i; done; exit 2"), "noisy");

        assertThat(failure.getMessage()).contains("exit code: 2").doesNotContain("line 100");
        assertThat(failedStepsReport("noisy")).doesNotContain("line 100");
        assertThat(lastOutput(failure)).contains("line 100").doesNotContain("line 1\n");
    }

    @Test
    void missingProgramIsAClearError() throws Exception {
        BuildException failure = failedRun(RunOption.args("/bin/no-such-program"), "missing program");

        assertThat(failure.getMessage()).contains("\"/bin/no-such-program\"");
        assertThat(failedStepsReport("missing program")).contains("/bin/no-such-program");
    }
}
