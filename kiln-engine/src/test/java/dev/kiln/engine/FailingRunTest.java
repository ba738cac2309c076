package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.solver.ProgressEvent;
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
    void failingRunReportsStepExitCodeAndLastOutput() throws Exception {
        BuildException failure = failedRun(RunOption.sh("echo some output; echo oops >&2; exit 3"), "the failing step");

        assertThat(failure.getMessage())
                .contains("the failing step")
                .contains("exit code: 3")
                .contains("some output")
                .contains("oops");
        assertThat(kiln.events)
                .anySatisfy(event -> assertThat(event)
                        .isInstanceOfSatisfying(ProgressEvent.VertexFailed.class, failed -> {
                            assertThat(failed.vertexName()).isEqualTo("the failing step");
                            assertThat(failed.message()).contains("exit code: 3");
                        }));
        assertThat(kiln.events)
                .anySatisfy(event -> assertThat(event)
                        .isInstanceOfSatisfying(
                                ProgressEvent.VertexLog.class,
                                log -> assertThat(new String(log.data(), StandardCharsets.UTF_8))
                                        .contains("some output")));
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

        assertThat(again.getMessage()).contains("step that fails").contains(marker);
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
    void longOutputIsCutToItsLastLines() throws Exception {
        BuildException failure =
                failedRun(RunOption.sh("for i in $(seq 1 100); do echo line $i; done; exit 2"), "noisy");

        assertThat(failure.getMessage())
                .contains("exit code: 2")
                .contains("line 100")
                .doesNotContain("line 1\n");
    }

    @Test
    void missingProgramIsAClearError() throws Exception {
        BuildException failure = failedRun(RunOption.args("/bin/no-such-program"), "missing program");

        assertThat(failure.getMessage()).contains("missing program").contains("/bin/no-such-program");
    }
}
