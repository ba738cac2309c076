package dev.kiln.daemon;

import dev.kiln.api.secrets.GetSecretRequest;
import dev.kiln.api.secrets.SecretsGrpc;
import dev.kiln.api.session.FileFilter;
import dev.kiln.api.session.FileSyncPull;
import dev.kiln.api.session.SessionHeaders;
import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.worker.ClientContentStore;
import dev.kiln.worker.SessionClient;
import dev.kiln.worker.SessionCopies;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A build's client in another process, asked through its session: a local directory is pulled (incrementally, into
 * a copy the daemon keeps per client and directory) when a step first needs it, a secret is fetched when a step
 * mounts it, and registry credentials when a pull or push first needs a registry's.
 */
final class RemoteSessionClient implements SessionClient, AutoCloseable {

    private static final String FILE_SYNC = SessionHeaders.methodUrl("moby.filesync.v1.FileSync", "DiffCopy");
    private static final String SECRETS = SessionHeaders.methodUrl("moby.buildkit.secrets.v1.Secrets", "GetSecret");
    private static final String SSH = SessionHeaders.methodUrl("moby.sshforward.v1.SSH", "ForwardAgent");

    private final ClientSession session;
    private final SessionCopies copies;
    private final Map<String, Optional<Path>> pulled = new ConcurrentHashMap<>();
    private final SessionSshAgents agents;
    private final SessionCredentials credentials;

    /**
     * @param copies the daemon's copies of clients' directories
     * @param sshDir where the agent sockets the session forwards are made
     */
    RemoteSessionClient(ClientSession session, SessionCopies copies, Path sshDir) {
        this.session = session;
        this.copies = copies;
        this.agents = new SessionSshAgents(session.channel(), sshDir);
        this.credentials = new SessionCredentials(session);
    }

    @Override
    public Optional<Path> localDir(String name, DirectoryRequest request) throws IOException {
        String key = name + "\n" + request;
        Optional<Path> known = pulled.get(key);
        if (known != null) {
            return known;
        }
        if (!session.serves(FILE_SYNC)) {
            return Optional.empty();
        }
        // One copy per filter, not per name: a multi-platform build asks for one directory with a different include
        // pattern per platform (COPY ${TARGETARCH}.txt), at once, and a shared copy mirrored one request while the
        // other still read it ("checksum /amd64.txt: no such file" in DaemonBuildTest, under load).
        String id = SessionCopies.id(owner(session), name, request.selection());
        try (SessionCopies.Lease copy = copies.acquire(id, "local source for " + name)) {
            FileSyncPull.pull(
                    session.channel(),
                    name,
                    new FileFilter(request.includePatterns(), request.excludePatterns(), request.followPaths()),
                    copy.path());
            Optional<Path> dir = Optional.of(copy.path());
            pulled.put(key, dir);
            return dir;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                pulled.put(key, Optional.empty());
                return Optional.empty();
            }
            throw new IOException(
                    "local source '" + name + "': the client's transfer failed: "
                            + e.getStatus().getDescription(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while transferring local source '" + name + "'");
        }
    }

    /**
     * Whose a session's directory copies are: a client that names its directories with a shared key finds them again
     * in its next session (the next transfer sends only what changed); one that does not (buildctl sends none) gets
     * copies of this session only, which go when it ends.
     */
    private static String owner(ClientSession session) {
        return session.sharedKey().isEmpty() ? "session:" + session.id() : "shared:" + session.sharedKey();
    }

    /** Removes the copies of a session without a shared key, which no later session can use. */
    static void forgetCopies(ClientSession session, SessionCopies copies) {
        if (session.sharedKey().isEmpty()) {
            try {
                copies.removeAll(SessionCopies.ownerPrefix(owner(session)));
            } catch (IOException e) {
                // left for the next prune; the session's builds are over either way
            }
        }
    }

    @Override
    public Optional<byte[]> secret(String id) throws IOException {
        if (!session.serves(SECRETS)) {
            return Optional.empty();
        }
        try {
            return Optional.of(SecretsGrpc.newBlockingStub(session.channel())
                    .getSecret(GetSecretRequest.newBuilder().setID(id).build())
                    .getData()
                    .toByteArray());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw new IOException(
                    "secret \"" + id + "\": the client failed to give it: "
                            + e.getStatus().getDescription(),
                    e);
        }
    }

    @Override
    public Optional<Path> sshSocket(String id) throws IOException {
        if (!session.serves(SSH)) {
            return Optional.empty();
        }
        return agents.socket(id);
    }

    @Override
    public Optional<ClientContentStore> contentStore(String id) {
        if (!session.serves(SessionContentStore.INFO)) {
            return Optional.empty();
        }
        return Optional.of(new SessionContentStore(session.channel(), id));
    }

    /** The client's own credentials, asked through its session: never the daemon's, even when it has none. */
    @Override
    public Optional<CredentialSource> registryCredentials() {
        return Optional.of(credentials);
    }

    /** Ends what the build asked of its client: the agent sockets it opened go. */
    @Override
    public void close() throws IOException {
        agents.close();
    }

    @Override
    public String toString() {
        return "session " + session.id() + " (" + session.name() + ")";
    }
}
