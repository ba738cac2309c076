package dev.kiln.gateway.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.api.RawMarshaller;
import dev.kiln.api.gateway.LLBBridgeGrpc;
import dev.kiln.api.gateway.PongResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The first call of a frontend, LLBBridge's Ping, sent before the frontend does anything else and answered later: an
 * engine measures a frontend's start by when it hears from it, and what a frontend loads before its first call (its
 * function's classes, protobuf's runtime, a JSON parser for the workers) then happens while the engine answers. The
 * request goes out as its bytes (an empty PingRequest is no bytes), so that sending it initialises no protobuf class;
 * the Pong is parsed when {@link #await} is called.
 */
final class PingCall extends ClientCall.Listener<byte[]> {

    /** Ping with its messages as bytes; the name is a constant of the generated stub, so no stub class loads. */
    private static final MethodDescriptor<byte[], byte[]> PING = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(LLBBridgeGrpc.SERVICE_NAME, "Ping"))
            .setRequestMarshaller(RawMarshaller.INSTANCE)
            .setResponseMarshaller(RawMarshaller.INSTANCE)
            .build();

    // A latch and fields, not a CompletableFuture: waiting on one loads classes that a get() of a finished one does
    // not, and the classes a training run loads must not depend on whether the engine's answer came first.
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile byte[] message;
    private volatile byte[] pong;
    private volatile StatusRuntimeException failure;

    private PingCall() {}

    /** Sends Ping on {@code channel} and returns at once; the call fails after {@link LlbBridgeClient#PING_TIMEOUT}. */
    static PingCall send(Channel channel) {
        PingCall listener = new PingCall();
        ClientCall<byte[], byte[]> call = channel.newCall(
                PING,
                CallOptions.DEFAULT.withDeadlineAfter(LlbBridgeClient.PING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        call.start(listener, new Metadata());
        call.request(2);
        call.sendMessage(new byte[0]);
        call.halfClose();
        return listener;
    }

    @Override
    public void onMessage(byte[] bytes) {
        message = bytes;
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
        byte[] received = message;
        if (!status.isOk()) {
            failure = status.asRuntimeException(trailers);
        } else if (received == null) {
            failure = Status.INTERNAL
                    .withDescription("the engine answered Ping without a message")
                    .asRuntimeException();
        } else {
            pong = received;
        }
        done.countDown();
    }

    /**
     * The engine's Pong.
     *
     * @throws StatusRuntimeException as a blocking stub throws it, when the call failed
     * @throws InterruptedException when the caller is interrupted while waiting
     */
    PongResponse await() throws InterruptedException {
        done.await();
        if (failure != null) {
            throw failure;
        }
        byte[] bytes = pong;
        try {
            return PongResponse.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw Status.INTERNAL
                    .withDescription("the engine's Pong is not a PongResponse: " + e.getMessage())
                    .asRuntimeException();
        }
    }
}
