package dev.kiln.daemon;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.worker.BusyboxImage;
import java.io.IOException;
import java.nio.file.Path;

/** A registry on 127.0.0.1 holding a busybox image, for the daemon tests whose builds start FROM it. */
record BusyboxRegistry(LocalRegistry registry, ImageReference busybox) implements AutoCloseable {

    static BusyboxRegistry start(Path workDir) throws IOException {
        LocalRegistry registry = LocalRegistry.anonymous().start();
        ImageReference busybox = registry.reference("library/busybox:1");
        try (RegistryClient client = RegistryClient.builder().build()) {
            BusyboxImage.push(client, busybox, workDir);
        } catch (IOException | RuntimeException e) {
            registry.close();
            throw e;
        }
        return new BusyboxRegistry(registry, busybox);
    }

    @Override
    public void close() throws IOException {
        registry.close();
    }
}
