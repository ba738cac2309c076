package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Destinations reached through symlinks of the image, followed inside the image's root as BuildKit follows them
 * (continuity's RootPath): a relative link whose ".." climbs above "/" stops at "/", an absolute link starts again
 * at the image's root. Nothing is refused, and nothing lands outside the image.
 */
class SymlinkDestinationBuildTest {

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    @Test
    void copyMkdirAndWorkdirFollowLinksThatClimbAboveTheRootInsideTheImage() throws Exception {
        Path ctx = Files.createDirectories(builds.dir.resolve("contexts/climbing"));
        Files.writeString(ctx.resolve("file"), "through the link\n");
        Files.writeString(ctx.resolve("Dockerfile"), """
                FROM busybox
                RUN mkdir -p /tmp/symlink-target /tmp/abs-target \\
                 && ln -s ../tmp/symlink-target /symlink \\
                 && ln -s ../../../tmp/abs-target/named /deep-file \\
                 && ln -s /tmp/abs-target /abs
                COPY file /symlink/
                COPY file /symlink/x
                COPY file /abs/
                COPY file /deep-file
                WORKDIR /symlink/work
                RUN echo here > made-in-workdir && pwd -P > /pwd.txt
                """);

        Path out = builds.build(ctx, Map.of()).out();

        assertThat(Files.readSymbolicLink(out.resolve("symlink"))).isEqualTo(Path.of("../tmp/symlink-target"));
        assertThat(out.resolve("tmp/symlink-target/file")).hasContent("through the link");
        assertThat(out.resolve("tmp/symlink-target/x")).hasContent("through the link");
        assertThat(out.resolve("tmp/abs-target/file")).hasContent("through the link");
        assertThat(out.resolve("tmp/abs-target/named")).hasContent("through the link");
        assertThat(Files.isSymbolicLink(out.resolve("deep-file"))).isTrue();
        assertThat(out.resolve("tmp/symlink-target/work/made-in-workdir")).hasContent("here");
        assertThat(out.resolve("pwd.txt")).hasContent("/tmp/symlink-target/work");
    }
}
