package dev.kiln.api;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.kiln.api.errdefs.Solve;
import dev.kiln.api.errdefs.Source;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The details of a failed solve in a gRPC status, as BuildKit writes them: google.rpc.Status details whose type URL
 * is "github.com/moby/buildkit/errdefs.NAME+json" and whose value is the message in protobuf's JSON form (BuildKit's
 * grpcerrors marshals its typed errors as JSON). {@link Solve} is the failed step, which buildx and Kiln's client
 * open a debug container with; {@link Source} the lines of the Dockerfile it came from, which buildctl prints framed;
 * {@link dev.kiln.api.errdefs.Vertex} its digest.
 */
public final class SolveErrorDetails {

    /** The type URL BuildKit registers errdefs.Solve under. */
    public static final String TYPE_URL = "github.com/moby/buildkit/errdefs.Solve+json";

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private SolveErrorDetails() {}

    /** A status exception with {@code status}'s code and description that carries {@code solve} as its detail. */
    public static StatusRuntimeException withDetails(Status status, Solve solve) {
        return withDetails(status, List.of(solve));
    }

    /**
     * A status exception with {@code status}'s code and description that carries each of {@code details}; an
     * {@link Any} is a detail that came in packed (a client's, passed on) and goes as it came.
     */
    public static StatusRuntimeException withDetails(Status status, List<? extends Message> details) {
        com.google.rpc.Status.Builder proto = com.google.rpc.Status.newBuilder()
                .setCode(status.getCode().value())
                .setMessage(status.getDescription() == null ? "" : status.getDescription());
        for (Message detail : details) {
            if (detail instanceof Any packed) {
                proto.addDetails(packed);
                continue;
            }
            String json;
            try {
                json = PRINTER.print(detail);
            } catch (InvalidProtocolBufferException e) {
                // only Any fields can fail to print, and no errdefs message has one
                throw new IllegalStateException(typeUrl(detail) + " cannot be written as JSON", e);
            }
            proto.addDetails(Any.newBuilder()
                    .setTypeUrl(typeUrl(detail))
                    .setValue(ByteString.copyFrom(json, StandardCharsets.UTF_8)));
        }
        return StatusProto.toStatusRuntimeException(proto.build());
    }

    /** The failed step a status exception (or one it caused) carries; empty when it carries none or a damaged one. */
    public static Optional<Solve> of(Throwable failure) {
        return first(failure, Solve.getDefaultInstance());
    }

    /** The Dockerfile lines a status exception (or one it caused) names; empty when it names none. */
    public static Optional<Source> sourceOf(Throwable failure) {
        return first(failure, Source.getDefaultInstance());
    }

    /** BuildKit's name for the type of {@code detail}: its package and message name under BuildKit's module. */
    private static String typeUrl(Message detail) {
        return "github.com/moby/buildkit/" + detail.getDescriptorForType().getFullName() + "+json";
    }

    @SuppressWarnings("unchecked")
    private static <T extends Message> Optional<T> first(Throwable failure, T prototype) {
        com.google.rpc.Status proto = StatusProto.fromThrowable(failure);
        if (proto == null) {
            return Optional.empty();
        }
        String wanted = typeUrl(prototype);
        for (Any detail : proto.getDetailsList()) {
            if (detail.getTypeUrl().equals(wanted)) {
                try {
                    Message.Builder message = prototype.newBuilderForType();
                    PARSER.merge(detail.getValue().toStringUtf8(), message);
                    return Optional.of((T) message.build());
                } catch (InvalidProtocolBufferException e) {
                    // a detail nobody can read says nothing about the failure; the error's message still does
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }
}
