package dev.kiln.api.session;

import com.google.protobuf.ByteString;
import dev.kiln.api.content.ContentGrpc;
import dev.kiln.api.content.Info;
import dev.kiln.api.content.InfoRequest;
import dev.kiln.api.content.InfoResponse;
import dev.kiln.api.content.ReadContentRequest;
import dev.kiln.api.content.ReadContentResponse;
import dev.kiln.api.content.WriteContentRequest;
import dev.kiln.api.content.WriteContentResponse;
import dev.kiln.core.Digest;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Client role of containerd's Content service for the build's OCI image layouts (buildctl's {@code --oci-layout
 * NAME=DIR}, buildx's {@code --build-context X=oci-layout:///DIR@DIGEST}), as BuildKit's client serves them: the
 * daemon names a layout in the {@code buildkit-attachable-store-id} header, "oci:" + its name, and reads its blobs
 * (Info, then Read) from {@code DIR/blobs/ALG/HEX}. The layouts are the user's images, only read here: Write is
 * refused.
 */
public final class OciLayoutStores implements BindableService {

    /** The header that names the store a call is for. */
    static final String STORE_ID_HEADER = "buildkit-attachable-store-id";
    /** What the store id of a layout starts with; the rest is its name. */
    static final String STORE_ID_PREFIX = "oci:";
    /** Bytes per Read answer, as containerd's content service sends them. */
    private static final int CHUNK = 1 << 20;

    /** By name, sorted so that an error lists them in a stable order. */
    private final SortedMap<String, Path> layouts;

    /** {@code layouts}: the layout directories, by the name the build gives each ({@code oci-layout://NAME@...}). */
    public OciLayoutStores(Map<String, Path> layouts) {
        this.layouts = Collections.unmodifiableSortedMap(new TreeMap<>(layouts));
    }

    @Override
    public ServerServiceDefinition bindService() {
        ServerCallHandler<InfoRequest, InfoResponse> info = CallStream.handler("content-info", this::info);
        ServerCallHandler<ReadContentRequest, ReadContentResponse> read =
                CallStream.handler("content-read", this::read);
        ServerCallHandler<WriteContentRequest, WriteContentResponse> write =
                CallStream.handler("content-write", (call, headers) -> refuseWrite(headers));
        return ServerServiceDefinition.builder(ContentGrpc.getServiceDescriptor())
                .addMethod(ContentGrpc.getInfoMethod(), info)
                .addMethod(ContentGrpc.getReadMethod(), read)
                .addMethod(ContentGrpc.getWriteMethod(), write)
                .build();
    }

    /** Every Write fails: NOT_FOUND for a store this client does not serve, else UNIMPLEMENTED. */
    private void refuseWrite(Metadata headers) throws StatusException {
        layout(headers);
        throw Status.UNIMPLEMENTED
                .withDescription("OCI layout store " + storeId(headers)
                        + " is read-only: this client only lends its layouts to the build")
                .asException();
    }

    private void info(CallStream.Server<InfoRequest, InfoResponse> call, Metadata headers) throws Exception {
        InfoRequest request = call.receive();
        Blob blob = blob(headers, request.getDigest());
        call.send(InfoResponse.newBuilder()
                .setInfo(Info.newBuilder().setDigest(blob.digest().toString()).setSize(blob.size()))
                .build());
    }

    private void read(CallStream.Server<ReadContentRequest, ReadContentResponse> call, Metadata headers)
            throws Exception {
        ReadContentRequest request = call.receive();
        Blob blob = blob(headers, request.getDigest());
        Range range = Range.of(request, blob.size());
        try (FileChannel file = FileChannel.open(blob.file(), StandardOpenOption.READ)) {
            ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, range.size())));
            long offset = range.offset();
            long end = range.offset() + range.size();
            while (offset < end) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), end - offset));
                int n = file.read(chunk, offset);
                if (n < 0) {
                    throw Status.DATA_LOSS
                            .withDescription("OCI layout store " + storeId(headers) + ": blob " + blob.digest()
                                    + " ended at byte " + offset + " of " + blob.size() + " while it was read")
                            .asException();
                }
                call.send(ReadContentResponse.newBuilder()
                        .setOffset(offset)
                        .setData(ByteString.copyFrom(chunk.flip()))
                        .build());
                offset += n;
            }
        }
    }

    /** A blob of a layout: its digest, its file under the layout's {@code blobs} and its size. */
    private record Blob(Digest digest, Path file, long size) {}

    /**
     * The blob {@code digestText} names in the store the call's header names; NOT_FOUND for an unknown store or a
     * blob the layout lacks, INVALID_ARGUMENT for a malformed digest (so no digest string reaches a path).
     */
    private Blob blob(Metadata headers, String digestText) throws StatusException, IOException {
        String id = storeId(headers);
        Path layout = layout(headers);
        Digest digest;
        try {
            digest = Digest.parse(digestText);
        } catch (IllegalArgumentException e) {
            throw Status.INVALID_ARGUMENT
                    .withDescription("OCI layout store " + id + ": " + e.getMessage())
                    .asException();
        }
        Path file = layout.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
        if (!Files.isRegularFile(file)) {
            throw Status.NOT_FOUND
                    .withDescription("OCI layout store " + id + " (" + layout + ") has no blob " + digest)
                    .asException();
        }
        return new Blob(digest, file, Files.size(file));
    }

    /**
     * The layout directory of the store the call names; NOT_FOUND naming the store when it is none of this client's
     * layouts (such as a type=local cache's "local:DIR", which this service does not serve).
     */
    private Path layout(Metadata headers) throws StatusException {
        String id = storeId(headers);
        Path layout = id.startsWith(STORE_ID_PREFIX) ? layouts.get(id.substring(STORE_ID_PREFIX.length())) : null;
        if (layout == null) {
            throw Status.NOT_FOUND
                    .withDescription("this client serves no content store " + id + " (its stores are the OCI layouts "
                            + String.join(
                                    ", ",
                                    layouts.keySet().stream()
                                            .map(name -> STORE_ID_PREFIX + name)
                                            .toList())
                            + ")")
                    .asException();
        }
        return layout;
    }

    /** The store id the call names; "(none)" when the header is missing. */
    private static String storeId(Metadata headers) {
        String id = headers.get(SyncOptions.key(STORE_ID_HEADER));
        return id == null ? "(none)" : id;
    }

    /**
     * The part of a blob a Read asks for, clamped to the blob as containerd's service clamps it: an offset past the
     * end reads nothing, a size of 0 (or one past the end) reads to the end.
     */
    record Range(long offset, long size) {

        static Range of(ReadContentRequest request, long blobSize) {
            long offset = Math.clamp(request.getOffset(), 0, blobSize);
            long size = request.getSize();
            if (size <= 0 || size > blobSize - offset) {
                size = blobSize - offset;
            }
            return new Range(offset, size);
        }
    }
}
