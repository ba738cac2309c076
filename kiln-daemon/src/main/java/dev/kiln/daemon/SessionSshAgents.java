package dev.kiln.daemon;

import com.google.protobuf.ByteString;
import dev.kiln.api.session.SocketSink;
import dev.kiln.api.sshforward.BytesMessage;
import dev.kiln.api.sshforward.CheckAgentRequest;
import dev.kiln.api.sshforward.SSHGrpc;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client's SSH agents, as sockets on this host that a RUN step's {@code --mount=type=ssh} binds: each connection to
 * a socket becomes one SSH.ForwardAgent call through the session (the agent id in the {@value #ID_KEY} header, as
 * BuildKit sends it), and the agent protocol's bytes are copied both ways. The sockets live in a directory of their
 * own, removed when the build ends.
 */
final class SessionSshAgents implements AutoCloseable {

    static final String ID_KEY = "buildkit.ssh.id";
    private static final Metadata.Key<String> ID_HEADER = Metadata.Key.of(ID_KEY, Metadata.ASCII_STRING_MARSHALLER);

    private final Channel session;
    private final Path scratch;
    private final Map<String, Path> sockets = new ConcurrentHashMap<>();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private Path dir;
    private boolean closed;

    /** @param scratch where the build's socket directory is made */
    SessionSshAgents(Channel session, Path scratch) {
        this.session = session;
        this.scratch = scratch;
    }

    /** The socket that reaches the client's agent {@code id}, or empty when the client has no such agent. */
    synchronized Optional<Path> socket(String id) throws IOException {
        if (closed) {
            throw new IOException("ssh \"" + id + "\": the build has ended");
        }
        Path known = sockets.get(id);
        if (known != null) {
            return Optional.of(known);
        }
        try {
            SSHGrpc.newBlockingStub(session)
                    .checkAgent(CheckAgentRequest.newBuilder().setID(id).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND
                    || e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
                return Optional.empty();
            }
            throw new IOException(
                    "ssh \"" + id + "\": the client's agent did not answer: "
                            + e.getStatus().getDescription(),
                    e);
        }
        if (dir == null) {
            // Only root may reach the socket on this host: a step reaches it through its bind mount, which runc
            // makes as root, so no user of the host can sign with the client's keys.
            Files.createDirectories(scratch);
            Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwx------"));
            dir = Files.createTempDirectory(
                    scratch,
                    "ssh-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path socket = dir.resolve(sockets.size() + ".sock");
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        // the step may run as any user of its image; on this host only root gets through the directories above
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        listeners.add(listener);
        sockets.put(id, socket);
        Thread.ofVirtual().name("ssh-agent-" + id).start(() -> accept(listener, id));
        return Optional.of(socket);
    }

    private void accept(ServerSocketChannel listener, String id) {
        while (listener.isOpen()) {
            try {
                SocketChannel connection = listener.accept();
                forward(connection, id);
            } catch (IOException closedOrBroken) {
                return;
            }
        }
    }

    /** One agent conversation: the step's connection on one side, one ForwardAgent call on the other. */
    private void forward(SocketChannel connection, String id) {
        Metadata headers = new Metadata();
        headers.put(ID_HEADER, id);
        StreamObserver<BytesMessage> toClient = SSHGrpc.newStub(session)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .forwardAgent(new SocketSink(connection, false));
        Thread.ofVirtual().name("ssh-agent-" + id + "-to-client").start(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(32 * 1024);
            try {
                while (connection.read(buffer.clear()) >= 0) {
                    buffer.flip();
                    toClient.onNext(BytesMessage.newBuilder()
                            .setData(ByteString.copyFrom(buffer))
                            .build());
                }
                toClient.onCompleted();
            } catch (IOException e) {
                toClient.onError(Status.CANCELLED
                        .withDescription("the step closed its agent connection")
                        .asRuntimeException());
            }
        });
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        for (ServerSocketChannel listener : listeners) {
            listener.close();
        }
        if (dir != null) {
            dev.kiln.core.Trees.deleteRecursively(dir);
        }
    }
}
