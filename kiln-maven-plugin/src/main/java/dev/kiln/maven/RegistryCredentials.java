package dev.kiln.maven;

import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.oci.registry.Credentials;
import dev.kiln.oci.registry.DockerConfig;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the plugin finds a registry's credentials, first match wins: {@code <from><auth>}/{@code <to><auth>} for
 * their image's registry, then the {@code <server>} of Maven's settings.xml whose id is the registry's host (as Jib
 * reads them; docker.io's may also be {@code registry-1.docker.io} or {@code index.docker.io}), then
 * {@code ~/.docker/config.json} (or {@code $DOCKER_CONFIG}) with its credential helpers.
 *
 * @param explicit by registry host, from the POM's {@code <auth>} elements
 * @param servers  settings.xml servers by id, passwords already decrypted
 */
record RegistryCredentials(Map<String, Credentials> explicit, Map<String, Credentials> servers, CredentialSource docker)
        implements CredentialSource {

    private static final List<String> DOCKER_HUB_IDS = List.of("docker.io", "registry-1.docker.io", "index.docker.io");

    RegistryCredentials {
        explicit = Map.copyOf(explicit);
        servers = Map.copyOf(servers);
    }

    /** With docker's config of this user, or none when it cannot be read (the error is kept for the message). */
    static CredentialSource dockerConfig() {
        try {
            return DockerConfig.fromEnvironment();
        } catch (IOException e) {
            return new CredentialSource() {
                @Override
                public Optional<Credentials> find(String registry) throws IOException {
                    throw new IOException("docker's config could not be read: " + e.getMessage(), e);
                }

                @Override
                public String describe() {
                    return "docker's config (unreadable: " + e.getMessage() + ")";
                }
            };
        }
    }

    @Override
    public Optional<Credentials> find(String registry) throws IOException {
        Credentials given = explicit.get(registry);
        if (given != null) {
            return Optional.of(given);
        }
        for (String id : registry.equals("docker.io") ? DOCKER_HUB_IDS : List.of(registry)) {
            Credentials server = servers.get(id);
            if (server != null) {
                return Optional.of(server);
            }
        }
        return docker.find(registry);
    }

    /**
     * Whether a daemon of this user, on this host, finds the same credentials by itself: none come from the POM or
     * from a settings.xml server that names a registry (its id a host: a dot, a port or localhost; ids such as
     * {@code nexus-releases} name Maven repositories), and docker's config is the one at its usual place. Only then
     * may the plugin hand the daemon its files by path, which leaves the daemon to its own credentials.
     */
    boolean daemonFindsTheSame() {
        boolean registryServers = servers.keySet().stream()
                .anyMatch(id -> id.contains(".") || id.contains(":") || id.equals("localhost"));
        return explicit.isEmpty() && !registryServers && System.getenv("DOCKER_CONFIG") == null;
    }

    @Override
    public String describe() {
        return "<auth> in the POM, settings.xml <server> ids " + servers.keySet() + " and " + docker.describe();
    }
}
