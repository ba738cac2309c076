package dev.kiln.daemon;

import dev.kiln.api.secrets.GetSecretRequest;
import dev.kiln.api.secrets.SecretsGrpc;
import dev.kiln.api.session.FileFilter;
import dev.kiln.api.session.FileSyncPull;
import dev.kiln.api.session.SessionHeaders;
import dev.kiln.core.Digest;
import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.worker.SessionClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A build's client in another process, asked through its session: a local directory is pulled (incrementally, into
 * a copy the daemon keeps per client and directory) when a step first needs it, a secret is fetched when a step
 * mounts it, and registry credentials when a pull or push first needs a registry's.
 */
final class RemoteSessionClient implements SessionClient, AutoCloseable {

    private static final String FILE_SYNC = SessionHeaders.methodUrl("moby.filesync.v1.FileSync", "DiffCopy");
    private static final String SECRETS = SessionHeaders.methodUrl("moby.buildkit.secrets.v1.Secrets", "GetSecret");
    private static final String SSH = SessionHeaders.methodUrl("moby.sshforward.v1.SSH", "ForwardAgent");

    /**
     * One pull at a time into each kept copy, across all builds of the daemon. Striped, not one lock per copy: every
     * buildctl session has copies of its own, and a map of their locks would only grow in a daemon that runs for days.
     */
    private static final ReentrantLock[] PULL_LOCKS = java.util.stream.IntStream.range(0, 64)
            .mapToObj(i -> new ReentrantLock())
            .toArray(ReentrantLock[]::new);

    private final ClientSession session;
    private final Path copies;
    private final Map<String, Optional<Path>> pulled = new ConcurrentHashMap<>();
    private final SessionSshAgents agents;
    private final SessionCredentials credentials;

    /** @param copies where the daemon keeps its copies of clients' directories */
    RemoteSessionClient(ClientSession session, Path copies) {
        this.session = session;
        this.copies = copies;
        this.agents = new SessionSshAgents(session.channel(), copies.resolveSibling("ssh"));
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
        Path target = copiesOf(session, copies)
                .resolve(Digest.sha256((session.sharedKey() + "\n" + name + "\n" + request.sharedKey())
                                .getBytes(StandardCharsets.UTF_8))
                        .hex());
        ReentrantLock lock = PULL_LOCKS[Math.floorMod(target.hashCode(), PULL_LOCKS.length)];
        try {
            if (!lock.tryLock(30, TimeUnit.MINUTES)) {
                throw new IOException("local source '" + name + "': another build kept its copy busy for 30 minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to transfer local source '" + name + "'");
        }
        try {
            Files.createDirectories(target);
            FileSyncPull.pull(
                    session.channel(),
                    name,
                    new FileFilter(request.includePatterns(), request.excludePatterns(), request.followPaths()),
                    target);
            Optional<Path> dir = Optional.of(target);
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
        } finally {
            lock.unlock();
        }
    }

    /**
     * Where a session's directory copies go: a client that names its directories with a shared key finds them again
     * in its next session (the next transfer sends only what changed); one that does not (buildctl sends none) gets
     * copies of this session only, which go when it ends.
     */
    private static Path copiesOf(ClientSession session, Path copies) {
        // the id is the client's word: hashed, it cannot name a path outside the copies
        return session.sharedKey().isEmpty()
                ? copies.resolve("session-"
                        + Digest.sha256(session.id().getBytes(StandardCharsets.UTF_8))
                                .hex()
                                .substring(0, 32))
                : copies;
    }

    /** Removes the copies of a session without a shared key, which no later session can use. */
    static void forgetCopies(ClientSession session, Path copies) {
        if (session.sharedKey().isEmpty()) {
            try {
                dev.kiln.core.Trees.deleteRecursively(copiesOf(session, copies));
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
