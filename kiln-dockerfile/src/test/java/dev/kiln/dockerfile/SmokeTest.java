package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {

    @Test
    void buildsADockerfileFromBusybox(@TempDir Path dir) throws Exception {
        Path context = Files.createDirectories(dir.resolve("ctx"));
        Files.writeString(context.resolve("Dockerfile"), """
                FROM busybox
                WORKDIR /app
                COPY hello.txt .
                RUN echo built > built.txt && cat hello.txt >> built.txt
                ENV GREETING=hi
                CMD ["cat", "built.txt"]
                """);
        Files.writeString(context.resolve("hello.txt"), "hello\n");
        try (DockerfileBuilds builds = new DockerfileBuilds(dir.resolve("work"))) {
            DockerfileBuilds.Build build = builds.build(context, Map.of());
            System.out.println(build.executed());
            System.out.println(new String(build.config()));
            assertThat(build.out().resolve("app/built.txt")).hasContent("built\nhello");
        }
    }
}
