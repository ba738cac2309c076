package dev.kiln.worker;

import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.oci.registry.RegistryClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One build's view of its client: the local directories its {@code local://name} sources read,
 * the secrets its steps may mount, the SSH agent sockets they may use, and the registry credentials
 * its pulls and pushes use. Secrets live only in the client and in the tmpfs files of running steps,
 * never in a snapshot or a cache key. One instance lives as long as one build: what it keeps (the
 * build's registry auth state) goes with it.
 */
public final class BuildSession {

    private final String id;
    private final SessionClient client;
    /** The build's view of each shared registry client, when its client has credentials of its own. */
    private final Map<RegistryClient, RegistryClient> registries = new IdentityHashMap<>();

    /**
     * @param id     names the session in logs and local-source attributes
     * @param client answers for the client: in this process, or through a daemon's session
     */
    public BuildSession(String id, SessionClient client) {
        this.id = id;
        this.client = client;
    }

    public BuildSession(String id, Map<String, Path> localDirs) {
        this(id, localDirs, Map.of(), Map.of());
    }

    /**
     * @param localDirs  directory on the host for each local source name
     * @param secrets    secret values by id
     * @param sshSockets SSH agent socket on the host for each SSH id ("default" for the usual one)
     */
    public BuildSession(
            String id, Map<String, Path> localDirs, Map<String, byte[]> secrets, Map<String, Path> sshSockets) {
        this(id, SessionClient.local(localDirs, secrets, sshSockets));
    }

    public String id() {
        return id;
    }

    public SessionClient client() {
        return client;
    }

    public Optional<Path> localDir(String name, SessionClient.DirectoryRequest request) throws IOException {
        return client.localDir(name, request);
    }

    public Optional<byte[]> secret(String id) throws IOException {
        return client.secret(id);
    }

    public Optional<Path> sshSocket(String id) throws IOException {
        return client.sshSocket(id.isEmpty() ? "default" : id);
    }

    /**
     * The registry client this build pulls and pushes through: {@code shared} itself when the client leaves
     * credentials to this process (an embedded engine's caller), else a view of it with the client's credentials.
     * The view is made once per build, so the build fetches its tokens once, and no other build ever sees them.
     */
    public RegistryClient registry(RegistryClient shared) {
        Optional<CredentialSource> own = client.registryCredentials();
        if (own.isEmpty()) {
            return shared;
        }
        synchronized (registries) {
            return registries.computeIfAbsent(shared, s -> s.withCredentials(own.get()));
        }
    }

    @Override
    public String toString() {
        return "BuildSession[" + id + ", " + client + "]";
    }
}
