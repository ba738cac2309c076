package dev.kiln.api.session;

import com.google.protobuf.ByteString;
import dev.kiln.api.control.BytesMessage;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.List;

/**
 * gRPC carried inside a Control.Session byte stream (BuildKit's grpchijack): the stream's bytes are one
 * plaintext HTTP/2 connection on which the client runs a gRPC server and the daemon is the gRPC client.
 *
 * <p>The daemon {@link #dial}s: calls on {@link #channel()} travel through the stream to the client's
 * services. The client {@link #serve}s: calls arriving through the stream reach its services. Both feed the
 * bytes that arrive on the Session stream to {@link #fromPeer} and report its end with {@link #peerClosed}.
 */
public final class SessionTunnel implements AutoCloseable {

  private SessionTunnel() {}

  /** Daemon role: a channel whose calls travel through the Session stream ({@code toPeer} sends its bytes). */
  public static SessionTunnel dial(StreamObserver<BytesMessage> toPeer) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Client role: the services answer calls that arrive through the Session stream. */
  public static SessionTunnel serve(StreamObserver<BytesMessage> toPeer, List<BindableService> services) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Daemon role: the channel to the client's services. */
  public ManagedChannel channel() {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Bytes that arrived on the Session stream. Blocks until they are handed to the local HTTP/2 end, which
   * pushes back on the peer when called from the stream's message callback.
   */
  public void fromPeer(ByteString data) {
    throw new UnsupportedOperationException("not yet");
  }

  /** The Session stream ended (completed, failed or cancelled): the tunnel closes. */
  public void peerClosed() {
    close();
  }

  /** Ends the tunnel: calls in flight fail, the Session stream is completed, local resources are released. */
  @Override
  public void close() {}
}
