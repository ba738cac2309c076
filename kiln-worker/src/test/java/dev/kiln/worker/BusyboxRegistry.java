package dev.kiln.worker;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An anonymous registry on 127.0.0.1 holding the {@link BusyboxImage} as {@code library/busybox:1}, for the tests
 * whose builds start FROM it.
 *
 * @param manifest the descriptor of the busybox image's manifest
 */
public record BusyboxRegistry(LocalRegistry registry, ImageReference busybox, Descriptor manifest)
        implements AutoCloseable {

    /** Starts the registry and pushes busybox to it, making the image's files under {@code workDir}. */
    public static BusyboxRegistry start(Path workDir) throws IOException {
        LocalRegistry registry = LocalRegistry.anonymous().start();
        ImageReference busybox = registry.reference("library/busybox:1");
        try (RegistryClient client = RegistryClient.builder().build()) {
            return new BusyboxRegistry(registry, busybox, BusyboxImage.push(client, busybox, workDir));
        } catch (IOException | RuntimeException e) {
            registry.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        registry.close();
    }
}
