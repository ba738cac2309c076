package dev.kiln.worker;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * One build's view of the client: the local directories its {@code local://name} sources read.
 *
 * @param id         names the session in logs and local-source attributes
 * @param localDirs  directory on the host for each local source name
 */
public record BuildSession(String id, Map<String, Path> localDirs) {

    public BuildSession {
        localDirs = Map.copyOf(localDirs);
    }

    public Optional<Path> localDir(String name) {
        return Optional.ofNullable(localDirs.get(name));
    }
}
