package dev.kiln.daemon;

import com.google.protobuf.Message;
import dev.kiln.api.SolveErrorDetails;
import dev.kiln.api.errdefs.Solve;
import dev.kiln.api.errdefs.Source;
import dev.kiln.api.errdefs.Vertex;
import dev.kiln.engine.gateway.FailedSource;
import dev.kiln.engine.gateway.VertexFailure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The status a failed build or solve answers with, as BuildKit's grpcerrors writes it: the failure's message, and
 * beside it what a client shows of the failed step without parsing the message: the step's digest (errdefs.Vertex)
 * and the Dockerfile lines it came from (errdefs.Source, for any failure that knows its lines), which buildctl prints
 * framed above the error.
 */
final class FailureDetails {

    private FailureDetails() {}

    /** {@code failure}'s message as the status's description, with its step's details when a step failed. */
    static StatusRuntimeException status(Throwable failure) {
        return status(failure, Optional.empty());
    }

    /** The same with the failed RUN step's files too, as {@code solve} names them for a debug container. */
    static StatusRuntimeException status(Throwable failure, Optional<Solve> solve) {
        List<Message> details = new ArrayList<>();
        solve.ifPresent(details::add);
        FailedSource.in(failure)
                .ifPresent(source -> details.add(Source.newBuilder()
                        .setInfo(source.info())
                        .addAllRanges(source.ranges())
                        .build()));
        VertexFailure.in(failure)
                .ifPresent(vertex -> details.add(
                        Vertex.newBuilder().setDigest(vertex.vertexDigest()).build()));
        if (details.isEmpty()) {
            // a failure a client sent (a forwarded frontend's Return) keeps the details it came with
            com.google.rpc.Status carried = StatusProto.fromThrowable(failure);
            if (carried != null) {
                details.addAll(carried.getDetailsList());
            }
        }
        Status status = Status.UNKNOWN.withDescription(failure.getMessage());
        return details.isEmpty() ? status.asRuntimeException() : SolveErrorDetails.withDetails(status, details);
    }
}
