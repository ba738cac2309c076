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
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Client role of containerd's Content service for every content store a build's session lends the daemon, as
 * BuildKit's client serves them; the daemon names the store in the {@code buildkit-attachable-store-id} header (a
 * session has one Content service, so one service answers for all of them):
 *
 * <ul>
 *   <li>the build's OCI image layouts (buildctl's {@code --oci-layout NAME=DIR}, buildx's {@code --build-context
 *       X=oci-layout:///DIR@DIGEST}) as "oci:" + the name: the user's images, only read (Info, Read);
 *   <li>the directories of its type=local caches as "local:" + the path the client sent: read for an import, and
 *       written for an export (Write, containerd's STAT, WRITE and COMMIT), each blob checked against its digest
 *       before it appears;
 *   <li>the directory of its oci or docker output with {@code tar=false} as "export", as buildctl and buildx name
 *       it: written as a cache's is, and listed in the directory's index.json by the client once the build answers.
 * </ul>
 *
 * Blobs are {@code DIR/blobs/ALG/HEX} in each.
 */
public final class ClientContentStores implements BindableService {

    /** The header that names the store a call is for. */
    static final String STORE_ID_HEADER = "buildkit-attachable-store-id";
    /** What the store id of a layout starts with; the rest is its name. */
    static final String LAYOUT_PREFIX = "oci:";
    /** What the store id of a local cache starts with; the rest is its directory, as the client sent it. */
    static final String CACHE_PREFIX = "local:";
    /** The store id of a tar=false output's directory. */
    static final String EXPORT_ID = "export";
    /** Bytes per Read answer, as containerd's content service sends them. */
    private static final int CHUNK = 1 << 20;

    /** By store id, sorted so that an error lists them in a stable order. */
    private final SortedMap<String, BlobStore> stores;

    /**
     * @param layouts the layout directories, by the name the build gives each ({@code oci-layout://NAME@...})
     * @param caches  the local cache directories, absolute, each as the build's request names it (its store's id)
     */
    public ClientContentStores(Map<String, Path> layouts, Collection<Path> caches) {
        this(layouts, caches, Optional.empty());
    }

    /** As above, with the directory of a tar=false output ({@code export}) when there is one. */
    public ClientContentStores(Map<String, Path> layouts, Collection<Path> caches, Optional<Path> export) {
        SortedMap<String, BlobStore> all = new TreeMap<>();
        export.ifPresent(dir ->
                all.put(EXPORT_ID, new BlobStore("OCI layout store " + EXPORT_ID + " (" + dir + ")", dir, true)));
        layouts.forEach((name, dir) ->
                all.put(LAYOUT_PREFIX + name, new BlobStore("OCI layout store " + LAYOUT_PREFIX + name, dir, false)));
        for (Path dir : caches) {
            all.put(CACHE_PREFIX + dir, new BlobStore("local cache store " + CACHE_PREFIX + dir, dir, true));
        }
        this.stores = Collections.unmodifiableSortedMap(all);
    }

    /** Whether this service has any store to serve (a session adds it only then). */
    public boolean isEmpty() {
        return stores.isEmpty();
    }

    @Override
    public ServerServiceDefinition bindService() {
        ServerCallHandler<InfoRequest, InfoResponse> info = CallStream.handler("content-info", this::info);
        ServerCallHandler<ReadContentRequest, ReadContentResponse> read =
                CallStream.handler("content-read", this::read);
        ServerCallHandler<WriteContentRequest, WriteContentResponse> write =
                CallStream.handler("content-write", this::write);
        return ServerServiceDefinition.builder(ContentGrpc.getServiceDescriptor())
                .addMethod(ContentGrpc.getInfoMethod(), info)
                .addMethod(ContentGrpc.getReadMethod(), read)
                .addMethod(ContentGrpc.getWriteMethod(), write)
                .build();
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
                            .withDescription(store(headers).name() + ": blob " + blob.digest() + " ended at byte "
                                    + offset + " of " + blob.size() + " while it was read")
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

    /**
     * One blob from the daemon into a local cache's directory; UNIMPLEMENTED for a layout, which is the user's and
     * only lent to the build.
     */
    private void write(CallStream.Server<WriteContentRequest, WriteContentResponse> call, Metadata headers)
            throws Exception {
        BlobStore store = store(headers);
        if (!store.writable()) {
            throw Status.UNIMPLEMENTED
                    .withDescription(store.name() + " is read-only: this client only lends its layouts to the build")
                    .asException();
        }
        BlobIngest.receive(store, call);
    }

    /** A blob of a store: its digest, its file under the store's {@code blobs} and its size. */
    private record Blob(Digest digest, Path file, long size) {}

    /**
     * The blob {@code digestText} names in the store the call's header names; NOT_FOUND for an unknown store or a
     * blob the store lacks, INVALID_ARGUMENT for a malformed digest (so no digest string reaches a path).
     */
    private Blob blob(Metadata headers, String digestText) throws StatusException, IOException {
        BlobStore store = store(headers);
        Digest digest = store.digest(digestText);
        Path file = store.file(digest);
        if (!Files.isRegularFile(file)) {
            throw Status.NOT_FOUND
                    .withDescription(store.name() + " (" + store.dir() + ") has no blob " + digest)
                    .asException();
        }
        return new Blob(digest, file, Files.size(file));
    }

    /** The store the call names; NOT_FOUND naming it and the stores there are when this client serves no such store. */
    private BlobStore store(Metadata headers) throws StatusException {
        String id = headers.get(SyncOptions.key(STORE_ID_HEADER));
        BlobStore store = id == null ? null : stores.get(id);
        if (store == null) {
            throw Status.NOT_FOUND
                    .withDescription("this client serves no content store " + (id == null ? "(none named)" : id)
                            + " (its stores are " + (stores.isEmpty() ? "none" : String.join(", ", stores.keySet()))
                            + ")")
                    .asException();
        }
        return store;
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
