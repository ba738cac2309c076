package dev.kiln.worker;

import dev.kiln.oci.registry.CredentialSource;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The client of an embedded engine: directories, secrets and agent sockets given up front by the caller; registry
 * credentials are this process's unless {@code registryCredentials} names a source.
 */
record LocalSessionClient(
        Map<String, Path> localDirs,
        Map<String, byte[]> secrets,
        Map<String, Path> sshSockets,
        Optional<CredentialSource> registryCredentials)
        implements SessionClient {

    LocalSessionClient {
        localDirs = Map.copyOf(localDirs);
        secrets = Map.copyOf(secrets);
        sshSockets = Map.copyOf(sshSockets);
        registryCredentials = registryCredentials == null ? Optional.empty() : registryCredentials;
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
