package dev.kiln.api;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.kiln.api.errdefs.Solve;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The details of a failed solve in a gRPC status, as BuildKit writes them: a google.rpc.Status detail whose type URL
 * is {@value #TYPE_URL} and whose value is {@link Solve} in protobuf's JSON form (BuildKit's grpcerrors marshals its
 * typed errors with jsonpb). buildx reads them to open a debug container on a failed step; so does Kiln's client.
 */
public final class SolveErrorDetails {

    /** The type URL BuildKit registers errdefs.Solve under. */
    public static final String TYPE_URL = "github.com/moby/buildkit/errdefs.Solve+json";

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private SolveErrorDetails() {}

    /** A status exception with {@code status}'s code and description that carries {@code solve} as its detail. */
    public static StatusRuntimeException withDetails(Status status, Solve solve) {
        String json;
        try {
            json = PRINTER.print(solve);
        } catch (InvalidProtocolBufferException e) {
            // only Any fields can fail to print, and Solve has none
            throw new IllegalStateException("errdefs.Solve cannot be written as JSON", e);
        }
        com.google.rpc.Status proto = com.google.rpc.Status.newBuilder()
                .setCode(status.getCode().value())
                .setMessage(status.getDescription() == null ? "" : status.getDescription())
                .addDetails(Any.newBuilder()
                        .setTypeUrl(TYPE_URL)
                        .setValue(ByteString.copyFrom(json, StandardCharsets.UTF_8)))
                .build();
        return StatusProto.toStatusRuntimeException(proto);
    }

    /** The failed step a status exception (or one it caused) carries; empty when it carries none or a damaged one. */
    public static Optional<Solve> of(Throwable failure) {
        com.google.rpc.Status proto = StatusProto.fromThrowable(failure);
        if (proto == null) {
            return Optional.empty();
        }
        for (Any detail : proto.getDetailsList()) {
            if (detail.getTypeUrl().equals(TYPE_URL)) {
                try {
                    Solve.Builder solve = Solve.newBuilder();
                    PARSER.merge(detail.getValue().toStringUtf8(), solve);
                    return Optional.of(solve.build());
                } catch (InvalidProtocolBufferException e) {
                    // a detail nobody can read says nothing about the step; the error's message still does
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }
}
