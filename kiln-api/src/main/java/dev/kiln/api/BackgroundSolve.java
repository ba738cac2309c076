package dev.kiln.api;

import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import io.grpc.Channel;
import io.grpc.Context;
import java.util.concurrent.CompletableFuture;

/**
 * Control.Solve sent on a virtual thread of its own: a client that forwards a build keeps its thread for the gateway
 * and the status stream while the daemon solves, and cancelling {@code call} ends the Solve with the rest.
 */
public final class BackgroundSolve {

    private BackgroundSolve() {}

    /** Sends {@code request} in {@code call}'s context; the future ends with the response or the call's error. */
    public static CompletableFuture<SolveResponse> start(
            Channel channel, SolveRequest request, Context.CancellableContext call, String threadName) {
        CompletableFuture<SolveResponse> solved = new CompletableFuture<>();
        Thread.ofVirtual()
                .name(threadName)
                .start(() -> call.run(() -> {
                    try {
                        solved.complete(ControlGrpc.newBlockingStub(channel).solve(request));
                    } catch (RuntimeException e) {
                        solved.completeExceptionally(e);
                    }
                }));
        return solved;
    }
}
