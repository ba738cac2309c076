package dev.kiln.worker;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** The client of an embedded engine: directories, secrets and agent sockets given up front by the caller. */
record LocalSessionClient(Map<String, Path> localDirs, Map<String, byte[]> secrets, Map<String, Path> sshSockets)
        implements SessionClient {

    LocalSessionClient {
        localDirs = Map.copyOf(localDirs);
        secrets = Map.copyOf(secrets);
        sshSockets = Map.copyOf(sshSockets);
    }

    @Override
    public Optional<Path> localDir(String name, DirectoryRequest request) {
        return Optional.ofNullable(localDirs.get(name));
    }

    @Override
    public Optional<byte[]> secret(String id) {
        return Optional.ofNullable(secrets.get(id)).map(byte[]::clone);
    }

    @Override
    public Optional<Path> sshSocket(String id) {
        return Optional.ofNullable(sshSockets.get(id));
    }

    /** Never prints secret values. */
    @Override
    public String toString() {
        return "locals=" + localDirs.keySet() + ", secrets=" + secrets.keySet() + ", ssh=" + sshSockets.keySet();
    }
}
