package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.worker.BusyboxImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --pull} asks the registry for the base image even when the build has everything it needs:
 * with the registry gone, a build pinned to a digest still works from what this machine has, and
 * the same build with --pull fails naming the registry.
 */
class PullFlagTest {

    @TempDir
    Path tmp;

    private int kiln(Path context, String... args) throws Exception {
        List<String> all =
                new ArrayList<>(List.of("--state", tmp.resolve("state").toString(), "--progress", "plain"));
        all.addAll(List.of(args));
        all.add(context.toString());
        return new BuildCommand(
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(new ByteArrayOutputStream()),
                        new ByteArrayInputStream(new byte[0]))
                .run(all);
    }

    @Test
    void pullAsksTheRegistryWhereTheDefaultUsesWhatIsHere() throws Exception {
        Path context = Files.createDirectories(tmp.resolve("context"));
        String pinned;
        try (LocalRegistry registry = LocalRegistry.anonymous().start();
                RegistryClient client = RegistryClient.builder().build()) {
            ImageReference reference = registry.reference("library/busybox:1");
            Descriptor manifest = BusyboxImage.push(client, reference, tmp);
            pinned = reference.toString().replace(":1", "") + "@" + manifest.digest();
            Files.writeString(context.resolve("Dockerfile"), "FROM " + pinned + "\nRUN echo pulled > /p\n");

            assertThat(kiln(context)).isZero();
        }
        // the registry is gone
        assertThat(kiln(context)).isZero();
        assertThatThrownBy(() -> kiln(context, "--pull"))
                .hasMessageContaining(pinned.substring(0, pinned.indexOf('/')));
    }
}
