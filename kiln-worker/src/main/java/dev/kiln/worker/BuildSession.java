package dev.kiln.worker;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * One build's view of its client: the local directories its {@code local://name} sources read,
 * the secrets its steps may mount, and the SSH agent sockets they may use. Secrets live only
 * here and in the tmpfs files of running steps, never in a snapshot or a cache key.
 *
 * @param id         names the session in logs and local-source attributes
 * @param localDirs  directory on the host for each local source name
 * @param secrets    secret values by id
 * @param sshSockets SSH agent socket on the host for each SSH id ("default" for the usual one)
 */
public record BuildSession(String id, Map<String, Path> localDirs, Map<String, byte[]> secrets,
        Map<String, Path> sshSockets) {

    public BuildSession {
        localDirs = Map.copyOf(localDirs);
        secrets = Map.copyOf(secrets);
        sshSockets = Map.copyOf(sshSockets);
    }

    public BuildSession(String id, Map<String, Path> localDirs) {
        this(id, localDirs, Map.of(), Map.of());
    }

    public Optional<Path> localDir(String name) {
        return Optional.ofNullable(localDirs.get(name));
    }

    public Optional<byte[]> secret(String id) {
        return Optional.ofNullable(secrets.get(id)).map(byte[]::clone);
    }

    public Optional<Path> sshSocket(String id) {
        return Optional.ofNullable(sshSockets.get(id.isEmpty() ? "default" : id));
    }

    /** Never prints secret values. */
    @Override
    public String toString() {
        return "BuildSession[" + id + ", locals=" + localDirs.keySet() + ", secrets=" + secrets.keySet()
                + ", ssh=" + sshSockets.keySet() + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BuildSession s && id.equals(s.id) && localDirs.equals(s.localDirs)
                && sshSockets.equals(s.sshSockets) && secrets.keySet().equals(s.secrets.keySet())
                && secrets.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), s.secrets.get(e.getKey())));
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }
}
