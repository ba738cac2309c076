package dev.kiln.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.registry.Credentials;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;

/**
 * A registry on 127.0.0.1 that wants HTTP Basic auth as kiln:hunter2 for everything, holding a busybox image at
 * {@code private/busybox:1}, and the docker config that grants it, written where the tests' {@code DOCKER_CONFIG}
 * points (each module's surefire configuration sets it), as {@code docker login} would. An engine opened after
 * {@link #start} reads that config; {@link #close()} stops the registry and removes the config.
 */
public record PrivateBusyboxRegistry(LocalRegistry registry, ImageReference busybox, Path dockerConfig)
        implements AutoCloseable {

    /** The user the registry knows. */
    public static final Credentials OWNER = Credentials.of("kiln", "hunter2");

    public static PrivateBusyboxRegistry start(Path workDir) throws IOException {
        LocalRegistry registry = LocalRegistry.withBasicAuth("kiln", "hunter2").start();
        try {
            ImageReference busybox = registry.reference("private/busybox:1");
            try (RegistryClient owner = owner(registry)) {
                BusyboxImage.push(owner, busybox, workDir);
            }
            String configDir = System.getenv("DOCKER_CONFIG");
            assertThat(configDir)
                    .as("DOCKER_CONFIG, set for the tests by this module's surefire configuration")
                    .isNotBlank();
            Path dockerConfig = Files.createDirectories(Path.of(configDir)).resolve("config.json");
            String auth = Base64.getEncoder().encodeToString("kiln:hunter2".getBytes(StandardCharsets.UTF_8));
            Files.writeString(dockerConfig, "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"" + auth + "\"}}}");
            return new PrivateBusyboxRegistry(registry, busybox, dockerConfig);
        } catch (IOException | RuntimeException | Error e) {
            registry.close();
            throw e;
        }
    }

    /** A client with the owner's credentials for this registry (and none for any other). */
    public RegistryClient owner() {
        return owner(registry);
    }

    private static RegistryClient owner(LocalRegistry registry) {
        return RegistryClient.builder()
                .credentials(host -> host.equals(registry.host()) ? Optional.of(OWNER) : Optional.empty())
                .build();
    }

    @Override
    public void close() throws IOException {
        try {
            registry.close();
        } finally {
            Files.deleteIfExists(dockerConfig);
        }
    }
}
