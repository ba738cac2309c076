package dev.kiln.api.session;

import dev.kiln.api.content.WriteAction;
import dev.kiln.api.content.WriteContentRequest;
import dev.kiln.api.content.WriteContentResponse;
import dev.kiln.core.Digest;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.UUID;

/**
 * One blob arriving in a writable {@link BlobStore} through containerd's Write, as the daemon's session content store
 * sends it: STAT answers how many bytes have arrived, WRITE appends at that offset, COMMIT appends its last bytes and
 * checks the total and the expected digest. The bytes go to a file of their own in the store's directory, which
 * becomes {@code blobs/ALG/HEX} by an atomic move only once they match, so a reader never sees a blob half written
 * or wrong, and a failed or abandoned write leaves nothing behind.
 */
final class BlobIngest implements AutoCloseable {

    private final BlobStore store;
    private final String ref;
    private final Path partial;
    private final FileChannel channel;

    private BlobIngest(BlobStore store, String ref) throws IOException {
        this.store = store;
        this.ref = ref;
        Files.createDirectories(store.dir());
        this.partial = store.dir().resolve(".ingest-" + UUID.randomUUID());
        this.channel = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /** The bytes that have arrived, which the next one follows. */
    private long written;
    /** The total the writer announced, 0 until it does. */
    private long total;
    /** The digest the writer announced, null until it does. */
    private Digest expected;

    /** Takes the call's requests, answering each, until the blob is committed or the writer half-closes. */
    static void receive(BlobStore store, CallStream.Server<WriteContentRequest, WriteContentResponse> call)
            throws Exception {
        WriteContentRequest request = call.receive();
        if (request == null) {
            return;
        }
        if (request.getRef().isEmpty()) {
            throw Status.INVALID_ARGUMENT
                    .withDescription(store.name() + ": a write's first request must name its ref")
                    .asException();
        }
        try (BlobIngest ingest = new BlobIngest(store, request.getRef())) {
            for (; request != null; request = call.receive()) {
                WriteContentResponse answer = ingest.take(request);
                call.send(answer);
                if (answer.getAction() == WriteAction.COMMIT) {
                    return;
                }
            }
        }
    }

    private WriteContentResponse take(WriteContentRequest request) throws StatusException, IOException {
        if (request.getTotal() > 0) {
            total = request.getTotal();
        }
        if (!request.getExpected().isEmpty()) {
            expected = store.digest(request.getExpected());
        }
        WriteContentResponse.Builder answer = WriteContentResponse.newBuilder().setAction(request.getAction());
        switch (request.getAction()) {
            case STAT -> {}
            case WRITE -> append(request);
            case COMMIT -> {
                append(request);
                answer.setDigest(commit().toString());
            }
            default ->
                throw Status.INVALID_ARGUMENT
                        .withDescription(store.name() + ": write " + ref + ": unknown action " + request.getAction())
                        .asException();
        }
        return answer.setOffset(written).build();
    }

    /** The request's bytes at the end; as containerd, an offset other than 0 must be where the blob ends now. */
    private void append(WriteContentRequest request) throws StatusException, IOException {
        if (request.getOffset() > 0 && request.getOffset() != written) {
            throw Status.OUT_OF_RANGE
                    .withDescription(store.name() + ": write " + ref + " at byte " + request.getOffset()
                            + ", but it has " + written + " bytes so far")
                    .asException();
        }
        var data = request.getData().asReadOnlyByteBuffer();
        while (data.hasRemaining()) {
            written += channel.write(data, written);
        }
    }

    /** Checks what arrived against the announced total and digest and moves it to its blob; its digest. */
    private Digest commit() throws StatusException, IOException {
        if (total > 0 && written != total) {
            throw Status.FAILED_PRECONDITION
                    .withDescription(store.name() + ": write " + ref + " committed " + written + " bytes of " + total)
                    .asException();
        }
        channel.force(false);
        Digest actual = digestOfPartial(expected == null ? "sha256" : expected.algorithm());
        if (expected != null && !expected.equals(actual)) {
            throw Status.FAILED_PRECONDITION
                    .withDescription(store.name() + ": write " + ref + ": expected " + expected + ", got " + actual
                            + " (" + written + " bytes)")
                    .asException();
        }
        Path blob = store.file(actual);
        Files.createDirectories(blob.getParent());
        // A blob already there is replaced by the same bytes (its digest says so): the write succeeds, as the
        // daemon's store expects of a blob another build wrote meanwhile.
        Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return actual;
    }

    private Digest digestOfPartial(String algorithm) throws IOException {
        MessageDigest engine = Digest.engine(algorithm);
        try (InputStream in = Files.newInputStream(partial)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                engine.update(buffer, 0, n);
            }
        }
        return new Digest(algorithm, HexFormat.of().formatHex(engine.digest()));
    }

    /** Closes the file and removes it unless it became the blob. */
    @Override
    public void close() throws IOException {
        try (channel) {
            Files.deleteIfExists(partial);
        }
    }
}
