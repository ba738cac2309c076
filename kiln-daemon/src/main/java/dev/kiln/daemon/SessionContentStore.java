package dev.kiln.daemon;

import com.google.protobuf.ByteString;
import dev.kiln.api.LambdaObserver;
import dev.kiln.api.content.ContentGrpc;
import dev.kiln.api.content.InfoRequest;
import dev.kiln.api.content.ReadContentRequest;
import dev.kiln.api.content.ReadContentResponse;
import dev.kiln.api.content.WriteAction;
import dev.kiln.api.content.WriteContentRequest;
import dev.kiln.api.content.WriteContentResponse;
import dev.kiln.api.session.SessionHeaders;
import dev.kiln.core.Digest;
import dev.kiln.worker.ClientContentStore;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One content store a session's client serves (BuildKit's session/content: containerd's content API, the store
 * chosen by the {@code buildkit-attachable-store-id} header), as buildctl and buildx serve a type=local cache's
 * directory: blobs are written in chunks, each answered before the next goes, and committed against their digest.
 */
final class SessionContentStore implements ClientContentStore {

    static final String SERVICE = "containerd.services.content.v1.Content";
    /** The method whose presence in a session says its client serves content stores. */
    static final String INFO = SessionHeaders.methodUrl(SERVICE, "Info");

    private static final Metadata.Key<String> STORE_ID =
            Metadata.Key.of("buildkit-attachable-store-id", Metadata.ASCII_STRING_MARSHALLER);
    private static final int CHUNK = 1 << 20;
    /** How long one chunk's answer may take before the write is given up as stalled. */
    private static final long ANSWER_SECONDS = 120;

    private final String id;
    private final ContentGrpc.ContentBlockingStub blocking;
    private final ContentGrpc.ContentStub async;

    SessionContentStore(ManagedChannel channel, String id) {
        this.id = id;
        Metadata headers = new Metadata();
        headers.put(STORE_ID, id);
        var attach = MetadataUtils.newAttachHeadersInterceptor(headers);
        this.blocking = ContentGrpc.newBlockingStub(channel).withInterceptors(attach);
        this.async = ContentGrpc.newStub(channel).withInterceptors(attach);
    }

    @Override
    public boolean has(Digest digest) throws IOException {
        try {
            blocking.info(InfoRequest.newBuilder().setDigest(digest.toString()).build());
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return false;
            }
            throw failed("look up " + digest, e);
        }
    }

    @Override
    public void write(Digest digest, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            write(digest, Files.size(file), in);
        }
    }

    @Override
    public void write(Digest digest, byte[] bytes) throws IOException {
        write(digest, bytes.length, new java.io.ByteArrayInputStream(bytes));
    }

    private void write(Digest digest, long total, InputStream in) throws IOException {
        if (has(digest)) {
            return;
        }
        var answers = new LinkedBlockingQueue<Object>();
        StreamObserver<WriteContentRequest> requests =
                async.write(new LambdaObserver<WriteContentResponse>(answers::add, answers::add, () -> {}));
        String ref = "kiln-" + digest.hex();
        try {
            WriteContentRequest.Builder request =
                    WriteContentRequest.newBuilder().setRef(ref).setTotal(total).setExpected(digest.toString());
            requests.onNext(request.setAction(WriteAction.STAT).build());
            long offset = answer(answers, digest).getOffset();
            if (offset > 0 && in.skip(offset) != offset) {
                throw new IOException(
                        "the client's store holds " + offset + " bytes of " + digest + ", more than the blob has");
            }
            byte[] chunk = new byte[CHUNK];
            while (true) {
                int read = in.readNBytes(chunk, 0, CHUNK);
                boolean last = offset + read >= total;
                requests.onNext(request.setAction(last ? WriteAction.COMMIT : WriteAction.WRITE)
                        .setOffset(offset)
                        .setData(ByteString.copyFrom(chunk, 0, read))
                        .build());
                answer(answers, digest);
                offset += read;
                if (last) {
                    break;
                }
                if (read == 0) {
                    throw new IOException("blob " + digest + " ended at byte " + offset + " of " + total);
                }
            }
            requests.onCompleted();
        } catch (IOException | RuntimeException e) {
            requests.onError(Status.CANCELLED.withDescription(e.getMessage()).asRuntimeException());
            throw e;
        }
    }

    private WriteContentResponse answer(LinkedBlockingQueue<Object> answers, Digest digest) throws IOException {
        Object answer;
        try {
            answer = answers.poll(ANSWER_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("writing " + digest + " to the client's store " + id + " was interrupted");
        }
        return switch (answer) {
            case WriteContentResponse response -> response;
            case StatusRuntimeException e -> throw failed("write " + digest, e);
            case Throwable t ->
                throw new IOException("writing " + digest + " to the client's store " + id + ": " + t, t);
            case null ->
                throw new IOException("the client's store " + id + " did not answer for " + ANSWER_SECONDS + " s while "
                        + digest + " was written");
            default -> throw new IllegalStateException("unexpected answer " + answer);
        };
    }

    @Override
    public InputStream read(Digest digest) throws IOException {
        Context.CancellableContext call = Context.current().withCancellation();
        Iterator<ReadContentResponse> chunks;
        Context previous = call.attach();
        try {
            chunks = blocking.read(
                    ReadContentRequest.newBuilder().setDigest(digest.toString()).build());
        } finally {
            call.detach(previous);
        }
        return new InputStream() {
            private ByteString current = ByteString.EMPTY;
            private int position;

            @Override
            public int read() throws IOException {
                return hasByte() ? current.byteAt(position++) & 0xff : -1;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                if (!hasByte()) {
                    return -1;
                }
                int n = Math.min(length, current.size() - position);
                current.copyTo(buffer, position, offset, n);
                position += n;
                return n;
            }

            /** Whether a byte is left, moving to the next chunk (past empty ones) when this one is used up. */
            private boolean hasByte() throws IOException {
                while (position >= current.size()) {
                    try {
                        if (!chunks.hasNext()) {
                            return false;
                        }
                        current = chunks.next().getData();
                    } catch (StatusRuntimeException e) {
                        throw failed("read " + digest, e);
                    }
                    position = 0;
                }
                return true;
            }

            @Override
            public void close() {
                call.cancel(null);
            }
        };
    }

    private IOException failed(String what, StatusRuntimeException e) {
        return new IOException(
                "the client's content store " + id + " could not " + what + ": "
                        + e.getStatus().getCode() + " " + e.getStatus().getDescription(),
                e);
    }
}
