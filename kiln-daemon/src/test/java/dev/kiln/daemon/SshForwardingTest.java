package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.session.SessionTunnel;
import dev.kiln.api.sshforward.BytesMessage;
import dev.kiln.api.sshforward.CheckAgentRequest;
import dev.kiln.api.sshforward.CheckAgentResponse;
import dev.kiln.api.sshforward.SSHGrpc;
import dev.kiln.core.ImageReference;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.worker.BusyboxRegistry;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A RUN step's SSH mount reaches the client's agent through the session: while the step runs, its socket on the
 * daemon's host is connected to (as the step's ssh would), and the bytes go to the client's SSH service and back.
 */
class SshForwardingTest {

    @TempDir
    Path tmp;

    /** An agent at the client's end that answers each message with "agent:" and the message. */
    static final class EchoAgent extends SSHGrpc.SSHImplBase {

        @Override
        public void checkAgent(CheckAgentRequest request, StreamObserver<CheckAgentResponse> response) {
            if (!request.getID().equals("default")) {
                response.onError(Status.NOT_FOUND
                        .withDescription("no agent " + request.getID())
                        .asRuntimeException());
                return;
            }
            response.onNext(CheckAgentResponse.getDefaultInstance());
            response.onCompleted();
        }

        @Override
        public StreamObserver<BytesMessage> forwardAgent(StreamObserver<BytesMessage> toDaemon) {
            return new StreamObserver<>() {
                @Override
                public void onNext(BytesMessage message) {
                    toDaemon.onNext(BytesMessage.newBuilder()
                            .setData(ByteString.copyFromUtf8("agent:").concat(message.getData()))
                            .build());
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    toDaemon.onCompleted();
                }
            };
        }
    }

    @Test
    void aStepsAgentSocketReachesTheClientsAgent() throws Exception {
        try (BusyboxRegistry images = BusyboxRegistry.start(tmp);
                DaemonFixture daemon = new DaemonFixture(tmp)) {
            ImageReference busybox = images.busybox();
            String sessionId = UUID.randomUUID().toString();
            SessionTunnel tunnel =
                    SessionTunnel.open(daemon.controlAsync(), sessionId, "test", "", List.of(new EchoAgent()));
            try {
                State state = State.image(busybox.toString())
                        .run(
                                RunOption.sh("sleep 4"),
                                new RunOption.Ssh("default", "/run/agent.sock", 0, 0, 0600, false))
                        .root();
                CompletableFuture<Void> build = CompletableFuture.runAsync(() -> daemon.control()
                        .solve(SolveRequest.newBuilder()
                                .setRef("ssh-" + System.nanoTime())
                                .setSession(sessionId)
                                .setDefinition(state.marshal().toByteString())
                                .build()));
                Path socket = awaitSocket(daemon.state.resolve("daemon").resolve("ssh"));
                assertThat(Files.getPosixFilePermissions(socket.getParent()))
                        .as("only root reaches the socket")
                        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
                assertThat(Files.getPosixFilePermissions(socket.getParent().getParent()))
                        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

                try (SocketChannel agent = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    agent.connect(UnixDomainSocketAddress.of(socket));
                    agent.write(ByteBuffer.wrap("request-identities".getBytes(StandardCharsets.UTF_8)));
                    ByteBuffer answer = ByteBuffer.allocate(64);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (answer.position() < "agent:request-identities".length() && System.nanoTime() < deadline) {
                        agent.read(answer);
                    }
                    assertThat(new String(answer.array(), 0, answer.position(), StandardCharsets.UTF_8))
                            .isEqualTo("agent:request-identities");
                }
                build.get(60, TimeUnit.SECONDS);
                assertThat(socket).doesNotExist();
            } finally {
                tunnel.close();
            }
        }
    }

    private static Path awaitSocket(Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(dir)) {
                try (var found = Files.find(dir, 3, (path, attrs) -> attrs.isOther())) {
                    Optional<Path> socket = found.findFirst();
                    if (socket.isPresent()) {
                        return socket.get();
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no agent socket appeared under " + dir);
    }
}
