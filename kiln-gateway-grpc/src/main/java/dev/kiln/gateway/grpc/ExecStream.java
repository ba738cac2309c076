package dev.kiln.gateway.grpc;

import dev.kiln.api.gateway.ExecMessage;
import dev.kiln.api.gateway.LLBBridgeGrpc;
import dev.kiln.gateway.GatewayException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * The one ExecProcess stream a client has with its engine, shared by the processes of all its containers: messages
 * out are sent one at a time, messages in go to the process their ProcessID names (Go's messageForwarder). Callbacks
 * run on virtual threads, in order, so that a process whose output stream is slow holds back only this stream, never
 * the connection's reader.
 */
final class ExecStream {

    private final Map<String, BridgeProcess> processes = new ConcurrentHashMap<>();
    private final Object sendLock = new Object();
    // Guarded by sendLock.
    private StreamObserver<ExecMessage> requests;
    private volatile GatewayException failure;

    private ExecStream() {}

    static ExecStream open(LLBBridgeGrpc.LLBBridgeStub stub) {
        ExecStream stream = new ExecStream();
        StreamObserver<ExecMessage> requests = stub.withExecutor(Executors.newThreadPerTaskExecutor(
                        Thread.ofVirtual().name("kiln-exec").factory()))
                .execProcess(stream.new Responses());
        synchronized (stream.sendLock) {
            stream.requests = requests;
        }
        return stream;
    }

    /** Whether the stream has ended; a new container then opens a new one. */
    boolean failed() {
        return failure != null;
    }

    void register(String pid, BridgeProcess process) {
        processes.put(pid, process);
    }

    void deregister(String pid) {
        processes.remove(pid);
    }

    /** @throws GatewayException when the stream has ended or {@code message}'s process is gone */
    void send(ExecMessage message) {
        GatewayException failed = failure;
        if (failed != null) {
            throw new GatewayException(failed.getMessage(), failed);
        }
        if (!processes.containsKey(message.getProcessID())) {
            throw new GatewayException("process " + message.getProcessID() + " has ended; not sending it "
                    + message.getInputCase().name().toLowerCase(java.util.Locale.ROOT));
        }
        synchronized (sendLock) {
            requests.onNext(message);
        }
    }

    /** Ends our side: the frontend is done with its containers; processes still waiting hear so. */
    void close() {
        synchronized (sendLock) {
            if (failure == null) {
                requests.onCompleted();
            }
        }
        end(new GatewayException("the frontend ended while the process was running"));
    }

    private void end(GatewayException why) {
        if (failure == null) {
            failure = why;
        }
        for (BridgeProcess process : List.copyOf(processes.values())) {
            process.failed(why);
        }
    }

    private final class Responses implements StreamObserver<ExecMessage> {

        @Override
        public void onNext(ExecMessage message) {
            BridgeProcess process = processes.get(message.getProcessID());
            if (process != null) {
                process.deliver(message);
            }
        }

        @Override
        public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            end(LlbBridgeClient.failure("the engine's process stream (ExecProcess)", status, t));
        }

        @Override
        public void onCompleted() {
            end(new GatewayException("the engine ended its process stream (ExecProcess) while the process ran"));
        }
    }
}
