package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Dockerfile hundreds of steps long (Kiln issue 9) builds end to end: converted, marshalled, solved by the real
 * engine with runc, exported. Most steps are WORKDIRs (a file op each, no container), so the test stays quick on a
 * small machine while the chain of steps stays as deep.
 */
class DeepDockerfileTest {

    private static final int STEPS = 700;
    private static final int RUN_EVERY = 20;

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    @Test
    void sevenHundredStepsBuildAndExport() throws Exception {
        StringBuilder dockerfile = new StringBuilder("FROM busybox\n");
        StringBuilder runs = new StringBuilder();
        for (int i = 0; i < STEPS; i++) {
            if (i % RUN_EVERY == 0) {
                dockerfile.append("RUN echo ").append(i).append(" >> /runs\n");
                runs.append(i).append('\n');
            } else {
                dockerfile.append("WORKDIR /steps/").append(i).append('\n');
            }
        }
        Path context = Files.createDirectories(builds.dir.resolve("deep"));
        Files.writeString(context.resolve("Dockerfile"), dockerfile);

        DockerfileBuilds.Build build = builds.build(context, Map.of());

        assertThat(build.out().resolve("runs")).hasContent(runs.toString().strip());
        assertThat(build.out().resolve("steps/1")).isDirectory();
        assertThat(build.out().resolve("steps/" + (STEPS - 1))).isDirectory();
        assertThat(build.executed())
                .filteredOn(name -> name.matches("\\[ *\\d+/" + (STEPS + 1) + "] .*"))
                .hasSize(STEPS);
    }
}
