package dev.kiln.api.session;

import dev.kiln.api.sshforward.BytesMessage;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One direction of a forwarded SSH agent connection: the bytes of a ForwardAgent stream written into a socket, the
 * agent's on the client's side, a step's on the daemon's. A socket that fails to take them is closed, as is one
 * whose stream fails; when the stream ends the socket is closed, or only its output shut down when the other
 * direction still has the agent's answer to carry ({@code halfClose}).
 */
public record SocketSink(SocketChannel socket, boolean halfClose) implements StreamObserver<BytesMessage> {

    @Override
    public void onNext(BytesMessage message) {
        try {
            ByteBuffer data = message.getData().asReadOnlyByteBuffer();
            while (data.hasRemaining()) {
                socket.write(data);
            }
        } catch (IOException e) {
            closeQuietly(socket);
        }
    }

    @Override
    public void onError(Throwable t) {
        closeQuietly(socket);
    }

    @Override
    public void onCompleted() {
        if (!halfClose) {
            closeQuietly(socket);
            return;
        }
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(socket);
        }
    }

    /** Closes {@code socket}; one that will not close is gone already. */
    public static void closeQuietly(SocketChannel socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone: the pump on its other side ends either way
        }
    }
}
