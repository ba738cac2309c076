package dev.kiln.worker;

import dev.kiln.oci.registry.CredentialSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a build may ask of the client that started it: its local directories, its secrets, its SSH agents, its
 * registry credentials. The
 * embedded engine's client is this process ({@link #local}); a daemon's client is another process, asked through
 * its session only when a step needs the thing (as BuildKit asks its session), so a build that never reads a
 * directory never transfers it.
 */
public interface SessionClient {

    /**
     * What a local source wants of a directory: the client may send only the files these select.
     *
     * @param sharedKey names the directory across sessions, so a later transfer of it can be incremental
     */
    record DirectoryRequest(
            List<String> includePatterns, List<String> excludePatterns, List<String> followPaths, String sharedKey) {

        public DirectoryRequest {
            includePatterns = List.copyOf(includePatterns);
            excludePatterns = List.copyOf(excludePatterns);
            followPaths = List.copyOf(followPaths);
        }

        /** The whole directory. */
        public static DirectoryRequest whole(String name) {
            return new DirectoryRequest(List.of(), List.of(), List.of(), name);
        }

        /** The shared key and the patterns, one per line: requests that differ in any select different files. */
        public String selection() {
            return String.join(
                    "\n",
                    sharedKey,
                    "include " + includePatterns,
                    "exclude " + excludePatterns,
                    "follow " + followPaths);
        }
    }

    /** A directory on this host holding the client's directory {@code name}, or empty when the client has none. */
    Optional<Path> localDir(String name, DirectoryRequest request) throws IOException;

    /** The secret's value, or empty when the client has no secret of that id. */
    Optional<byte[]> secret(String id) throws IOException;

    /** A socket on this host that reaches the client's SSH agent {@code id}, or empty when it has none. */
    Optional<Path> sshSocket(String id) throws IOException;

    /**
     * Where the build's registry credentials come from: empty leaves them to this process (its docker config), which
     * is the client's own when the client is this process or its user on this host; a client elsewhere answers with
     * its own source, which may have none (anonymous access), never with this process's.
     */
    default Optional<CredentialSource> registryCredentials() {
        return Optional.empty();
    }

    /**
     * The content store the client serves under {@code id} (BuildKit names a local cache's "local:" + its directory),
     * or empty when it serves none: a client in this process has its directories here and needs none.
     */
    default Optional<ClientContentStore> contentStore(String id) throws IOException {
        return Optional.empty();
    }

    /** A client in this process: its directories, secrets and agent sockets are here already. */
    static SessionClient local(Map<String, Path> localDirs, Map<String, byte[]> secrets, Map<String, Path> sshSockets) {
        return new LocalSessionClient(localDirs, secrets, sshSockets, Optional.empty());
    }

    /** As {@link #local}, with the build's registry credentials from {@code registryCredentials}, not this process's. */
    static SessionClient local(
            Map<String, Path> localDirs,
            Map<String, byte[]> secrets,
            Map<String, Path> sshSockets,
            CredentialSource registryCredentials) {
        return new LocalSessionClient(localDirs, secrets, sshSockets, Optional.of(registryCredentials));
    }
}
