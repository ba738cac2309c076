package dev.kiln.daemon;

import dev.kiln.api.gateway.LLBBridgeGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's LLBBridge as a frontend container sees it: a gRPC server on a unix socket whose every call goes on,
 * unchanged, to the daemon's gateway for one forwarded build (the build id header added). A frontend process whose
 * stdin and stdout are pumped to a connection to this socket then talks to the real daemon as it would on stdio,
 * until the daemon serves frontend containers itself.
 */
final class BridgeRelay implements AutoCloseable {

    private final EventLoopGroup group = new EpollEventLoopGroup(1);
    private final Server server;

    BridgeRelay(Path socket, Channel daemon, String buildRef) throws IOException {
        ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(LLBBridgeGrpc.getServiceDescriptor());
        for (MethodDescriptor<?, ?> method :
                LLBBridgeGrpc.getServiceDescriptor().getMethods()) {
            service.addMethod(relayed(method, daemon, buildRef));
        }
        server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(group)
                .workerEventLoopGroup(group)
                .maxInboundMessageSize(64 << 20)
                .addService(service.build())
                .build()
                .start();
    }

    private static <Q, R> ServerMethodDefinition<Q, R> relayed(
            MethodDescriptor<Q, R> method, Channel daemon, String buildRef) {
        ServerCallHandler<Q, R> handler = (serverCall, headers) -> {
            ClientCall<Q, R> clientCall = daemon.newCall(method, CallOptions.DEFAULT);
            Metadata out = new Metadata();
            out.put(LlbBridgeService.BUILD_ID, buildRef);
            clientCall.start(
                    new ClientCall.Listener<>() {
                        private boolean headersSent;

                        @Override
                        public void onHeaders(Metadata responseHeaders) {
                            synchronized (serverCall) {
                                serverCall.sendHeaders(new Metadata());
                                headersSent = true;
                            }
                        }

                        @Override
                        public void onMessage(R message) {
                            synchronized (serverCall) {
                                if (!headersSent) {
                                    serverCall.sendHeaders(new Metadata());
                                    headersSent = true;
                                }
                                serverCall.sendMessage(message);
                            }
                            synchronized (clientCall) {
                                clientCall.request(1);
                            }
                        }

                        @Override
                        public void onClose(Status status, Metadata trailers) {
                            synchronized (serverCall) {
                                serverCall.close(status, new Metadata());
                            }
                        }
                    },
                    out);
            synchronized (clientCall) {
                clientCall.request(1);
            }
            serverCall.request(1);
            return new ServerCall.Listener<>() {
                @Override
                public void onMessage(Q message) {
                    synchronized (clientCall) {
                        clientCall.sendMessage(message);
                    }
                    synchronized (serverCall) {
                        serverCall.request(1);
                    }
                }

                @Override
                public void onHalfClose() {
                    synchronized (clientCall) {
                        clientCall.halfClose();
                    }
                }

                @Override
                public void onCancel() {
                    synchronized (clientCall) {
                        clientCall.cancel("the frontend cancelled the call", null);
                    }
                }
            };
        };
        return ServerMethodDefinition.create(method, handler);
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
