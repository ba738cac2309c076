package dev.kiln.worker;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * One build's view of its client: the local directories its {@code local://name} sources read,
 * the secrets its steps may mount, and the SSH agent sockets they may use. Secrets live only
 * in the client and in the tmpfs files of running steps, never in a snapshot or a cache key.
 *
 * @param id     names the session in logs and local-source attributes
 * @param client answers for the client: in this process, or through a daemon's session
 */
public record BuildSession(String id, SessionClient client) {

    public BuildSession(String id, Map<String, Path> localDirs) {
        this(id, localDirs, Map.of(), Map.of());
    }

    /**
     * @param localDirs  directory on the host for each local source name
     * @param secrets    secret values by id
     * @param sshSockets SSH agent socket on the host for each SSH id ("default" for the usual one)
     */
    public BuildSession(String id, Map<String, Path> localDirs, Map<String, byte[]> secrets,
            Map<String, Path> sshSockets) {
        this(id, SessionClient.local(localDirs, secrets, sshSockets));
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

    @Override
    public String toString() {
        return "BuildSession[" + id + ", " + client + "]";
    }
}
