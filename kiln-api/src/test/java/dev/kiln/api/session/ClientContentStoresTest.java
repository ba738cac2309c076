package dev.kiln.api.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.kiln.api.LambdaObserver;
import dev.kiln.api.content.ContentGrpc;
import dev.kiln.api.content.InfoRequest;
import dev.kiln.api.content.InfoResponse;
import dev.kiln.api.content.ReadContentRequest;
import dev.kiln.api.content.ReadContentResponse;
import dev.kiln.api.content.WriteAction;
import dev.kiln.api.content.WriteContentRequest;
import dev.kiln.api.content.WriteContentResponse;
import dev.kiln.core.Digest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's content stores (an OCI layout, read-only, and a local cache's directory, also written) through a real
 * session tunnel, called as the daemon calls them: containerd's Content API with the store named in the
 * {@code buildkit-attachable-store-id} header.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClientContentStoresTest {

    @TempDir
    Path tmp;

    /** Larger than one Read answer, so a whole read arrives in several. */
    final byte[] blob = new byte[(1 << 20) * 2 + 12345];

    Digest digest;
    Path layout;
    /** A local cache's directory, which no test has written to yet. */
    Path cache;

    SessionFixture session;

    @BeforeEach
    void layoutWithOneBlob() throws Exception {
        new Random(14).nextBytes(blob);
        digest = Digest.sha256(blob);
        layout = tmp.resolve("layout");
        Files.write(Files.createDirectories(layout.resolve("blobs/sha256")).resolve(digest.hex()), blob);
        cache = tmp.resolve("cache");
        session = new SessionFixture(
                tmp, List.of(new ClientContentStores(Map.of("base", layout), List.of(cache.toAbsolutePath()))));
    }

    @AfterEach
    void closeSession() throws Exception {
        session.close();
    }

    private ContentGrpc.ContentBlockingStub store(String id) throws Exception {
        return ContentGrpc.newBlockingStub(session.daemonChannel()).withInterceptors(naming(id));
    }

    /** The header that names the store {@code id}. */
    private static io.grpc.ClientInterceptor naming(String id) {
        Metadata headers = new Metadata();
        headers.put(SyncOptions.key("buildkit-attachable-store-id"), id);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    private String cacheId() {
        return "local:" + cache.toAbsolutePath();
    }

    /** A Read with containerd's offset and size. */
    private static ReadContentRequest read(Digest digest, long offset, long size) {
        return ReadContentRequest.newBuilder()
                .setDigest(digest.toString())
                .setOffset(offset)
                .setSize(size)
                .build();
    }

    /** The bytes of a Read's answers, checking that each answer's offset is where the previous one ended. */
    private static byte[] bytesOf(java.util.Iterator<ReadContentResponse> answers, long start) {
        var bytes = new ByteArrayOutputStream();
        answers.forEachRemaining(answer -> {
            assertThat(answer.getOffset()).isEqualTo(start + bytes.size());
            bytes.writeBytes(answer.getData().toByteArray());
        });
        return bytes.toByteArray();
    }

    @Test
    void infoGivesTheBlobsSizeAndDigest() throws Exception {
        InfoResponse info = store("oci:base")
                .info(InfoRequest.newBuilder().setDigest(digest.toString()).build());

        assertThat(info.getInfo().getDigest()).isEqualTo(digest.toString());
        assertThat(info.getInfo().getSize()).isEqualTo(blob.length);
    }

    @Test
    void readGivesTheWholeBlobInChunks() throws Exception {
        List<ReadContentResponse> answers = new ArrayList<>();
        store("oci:base")
                .read(ReadContentRequest.newBuilder()
                        .setDigest(digest.toString())
                        .build())
                .forEachRemaining(answers::add);

        assertThat(answers).hasSize(3);
        assertThat(bytesOf(answers.iterator(), 0)).isEqualTo(blob);
    }

    @Test
    void readHonoursOffsetAndSizeAsContainerdDoes() throws Exception {
        var base = store("oci:base");

        assertThat(bytesOf(base.read(read(digest, 1_500_000, 1000)), 1_500_000))
                .isEqualTo(Arrays.copyOfRange(blob, 1_500_000, 1_501_000));
        // size 0 reads to the end
        assertThat(bytesOf(base.read(read(digest, 7, 0)), 7)).isEqualTo(Arrays.copyOfRange(blob, 7, blob.length));
        // a size past the end is cut at the end; an offset past the end reads nothing
        assertThat(bytesOf(base.read(read(digest, blob.length - 5, 100)), blob.length - 5))
                .isEqualTo(Arrays.copyOfRange(blob, blob.length - 5, blob.length));
        assertThat(bytesOf(base.read(read(digest, blob.length + 10, 0)), 0)).isEmpty();
    }

    @Test
    void anUnknownStoreIsNotFoundByItsId() throws Exception {
        var info = InfoRequest.newBuilder().setDigest(digest.toString()).build();

        assertThatThrownBy(() -> store("oci:other").info(info))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus())
                                .extracting(Status::getCode)
                                .isEqualTo(Status.Code.NOT_FOUND))
                .hasMessageContaining(
                        "this client serves no content store oci:other (its stores are " + cacheId() + ", oci:base)");
        assertThatThrownBy(() -> store("local:/some/cache").info(info))
                .hasMessageContaining("NOT_FOUND: this client serves no content store local:/some/cache");
        assertThatThrownBy(() -> bytesOf(store("oci:other").read(read(digest, 0, 0)), 0))
                .hasMessageContaining("NOT_FOUND: this client serves no content store oci:other");
    }

    @Test
    void aMissingBlobIsNotFoundNamingTheStoreAndTheDigest() throws Exception {
        Digest absent = Digest.sha256("not in the layout".getBytes());

        assertThatThrownBy(() -> store("oci:base")
                        .info(InfoRequest.newBuilder()
                                .setDigest(absent.toString())
                                .build()))
                .hasMessageContaining("NOT_FOUND: OCI layout store oci:base (" + layout + ") has no blob " + absent);
        assertThatThrownBy(() -> bytesOf(store("oci:base").read(read(absent, 0, 0)), 0))
                .hasMessageContaining("NOT_FOUND: OCI layout store oci:base (" + layout + ") has no blob " + absent);
    }

    @Test
    void aMalformedDigestIsRefusedBeforeItNamesAnyFile() throws Exception {
        // a file the digest would name if it were taken as a path
        Files.writeString(tmp.resolve("passwd"), "outside the layout");

        assertThatThrownBy(() -> store("oci:base")
                        .info(InfoRequest.newBuilder()
                                .setDigest("sha256:../../passwd")
                                .build()))
                .hasMessageContaining("INVALID_ARGUMENT: OCI layout store oci:base: invalid digest")
                .hasMessageContaining("sha256:../../passwd");
        assertThatThrownBy(() -> bytesOf(
                        store("oci:base")
                                .read(ReadContentRequest.newBuilder()
                                        .setDigest("sha256:../../etc/passwd")
                                        .build()),
                        0))
                .hasMessageContaining("INVALID_ARGUMENT");
    }

    @Test
    void writeIsRefusedAsTheLayoutIsReadOnly() throws Exception {
        assertThat(writeFailure("oci:base"))
                .hasMessage("UNIMPLEMENTED: OCI layout store oci:base is read-only: this client only lends its "
                        + "layouts to the build");
        // a type=local cache's store is not one this client serves
        assertThat(writeFailure("local:/some/cache"))
                .hasMessageStartingWith("NOT_FOUND: this client serves no content store local:/some/cache");
        try (var files = Files.walk(tmp)) {
            assertThat(files.filter(Files::isRegularFile)).hasSize(1);
        }
    }

    /** How a Write to the store {@code id} fails. */
    private Throwable writeFailure(String id) throws Exception {
        return new WriteCall(id)
                .failure(WriteContentRequest.newBuilder()
                        .setRef("x")
                        .setData(ByteString.copyFromUtf8("written?"))
                        .build());
    }

    /** A request of a write of {@code digest}'s blob, {@code total} bytes, as the daemon's session store sends it. */
    private static WriteContentRequest.Builder writing(String expected, long total) {
        return WriteContentRequest.newBuilder()
                .setRef("kiln-test")
                .setTotal(total)
                .setExpected(expected);
    }

    private static WriteContentRequest chunk(
            WriteContentRequest.Builder request, WriteAction action, int from, int to, byte[] bytes) {
        return request.setAction(action)
                .setOffset(from)
                .setData(ByteString.copyFrom(bytes, from, to - from))
                .build();
    }

    /** The regular files under {@code dir}, relative to it. */
    private static List<String> filesUnder(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .map(file -> dir.relativize(file).toString())
                    .toList();
        }
    }

    @Test
    void aBlobWrittenInChunksIsCommittedUnderItsDigestAndReadsBack() throws Exception {
        var call = new WriteCall(cacheId());
        var request = writing(digest.toString(), blob.length);

        assertThat(call.answer(request.setAction(WriteAction.STAT).build()).getOffset())
                .isZero();
        assertThat(call.answer(chunk(request, WriteAction.WRITE, 0, 1 << 20, blob))
                        .getOffset())
                .isEqualTo(1 << 20);
        // a STAT between chunks answers what has arrived so far
        assertThat(call.answer(request.setAction(WriteAction.STAT).clearData().build())
                        .getOffset())
                .isEqualTo(1 << 20);
        assertThat(call.answer(chunk(request, WriteAction.WRITE, 1 << 20, 2 << 20, blob))
                        .getOffset())
                .isEqualTo(2 << 20);
        WriteContentResponse committed = call.answer(chunk(request, WriteAction.COMMIT, 2 << 20, blob.length, blob));

        assertThat(committed.getDigest()).isEqualTo(digest.toString());
        assertThat(committed.getOffset()).isEqualTo(blob.length);
        assertThat(filesUnder(cache)).containsExactly("blobs/sha256/" + digest.hex());
        assertThat(cache.resolve("blobs/sha256/" + digest.hex())).hasBinaryContent(blob);
        assertThat(bytesOf(store(cacheId()).read(read(digest, 0, 0)), 0)).isEqualTo(blob);
    }

    @Test
    void aBlobAlreadyInTheStoreIsCommittedAgain() throws Exception {
        byte[] small = "a small blob".getBytes();
        Digest smallDigest = Digest.sha256(small);
        for (int i = 0; i < 2; i++) {
            assertThat(new WriteCall(cacheId())
                            .answer(chunk(
                                    writing(smallDigest.toString(), small.length),
                                    WriteAction.COMMIT,
                                    0,
                                    small.length,
                                    small))
                            .getDigest())
                    .isEqualTo(smallDigest.toString());
        }
        assertThat(filesUnder(cache)).containsExactly("blobs/sha256/" + smallDigest.hex());
    }

    @Test
    void aBlobOtherThanTheExpectedDigestIsRefusedAndLeavesNothing() throws Exception {
        Digest claimed = Digest.sha256("something else".getBytes());
        var call = new WriteCall(cacheId());
        var request = writing(claimed.toString(), blob.length);
        call.answer(chunk(request, WriteAction.WRITE, 0, 1 << 20, blob));

        assertThat(call.failure(chunk(request, WriteAction.COMMIT, 1 << 20, blob.length, blob)))
                .hasMessage("FAILED_PRECONDITION: local cache store " + cacheId() + ": write kiln-test: expected "
                        + claimed + ", got " + digest + " (" + blob.length + " bytes)");
        assertThat(filesUnder(cache)).isEmpty();
    }

    @Test
    void aCommitShortOfTheTotalIsRefused() throws Exception {
        assertThat(new WriteCall(cacheId())
                        .failure(chunk(writing(digest.toString(), blob.length), WriteAction.COMMIT, 0, 100, blob)))
                .hasMessage("FAILED_PRECONDITION: local cache store " + cacheId()
                        + ": write kiln-test committed 100 bytes of " + blob.length);
        assertThat(filesUnder(cache)).isEmpty();
    }

    @Test
    void aMalformedExpectedDigestIsRefusedBeforeItNamesAnyFile() throws Exception {
        byte[] bytes = "outside?".getBytes();

        assertThat(new WriteCall(cacheId())
                        .failure(chunk(
                                writing("sha256:../../passwd", bytes.length),
                                WriteAction.COMMIT,
                                0,
                                bytes.length,
                                bytes)))
                .hasMessageStartingWith("INVALID_ARGUMENT: local cache store " + cacheId() + ": invalid digest")
                .hasMessageContaining("sha256:../../passwd");
        assertThat(filesUnder(cache)).isEmpty();
        assertThat(filesUnder(tmp)).containsExactly("layout/blobs/sha256/" + digest.hex());
    }

    @Test
    void aWriteAtAnOffsetOtherThanTheEndIsOutOfRange() throws Exception {
        assertThat(new WriteCall(cacheId())
                        .failure(chunk(writing(digest.toString(), blob.length), WriteAction.WRITE, 10, 20, blob)))
                .hasMessage("OUT_OF_RANGE: local cache store " + cacheId()
                        + ": write kiln-test at byte 10, but it has 0 bytes so far");
        assertThat(filesUnder(cache)).isEmpty();
    }

    /** A Write call to the store {@code id}, one request and its answer (or the call's failure) at a time. */
    private final class WriteCall {
        private final LinkedBlockingQueue<Object> answers = new LinkedBlockingQueue<>();
        private final StreamObserver<WriteContentRequest> requests;

        WriteCall(String id) throws Exception {
            requests = ContentGrpc.newStub(session.daemonChannel())
                    .withInterceptors(naming(id))
                    .write(new LambdaObserver<WriteContentResponse>(
                            answers::add, answers::add, () -> answers.add("the write completed")));
        }

        private Object next(WriteContentRequest request) throws Exception {
            requests.onNext(request);
            Object answer = answers.poll(30, TimeUnit.SECONDS);
            assertThat(answer).as("an answer to " + request.getAction()).isNotNull();
            return answer;
        }

        WriteContentResponse answer(WriteContentRequest request) throws Exception {
            Object answer = next(request);
            assertThat(answer).isInstanceOf(WriteContentResponse.class);
            return (WriteContentResponse) answer;
        }

        Throwable failure(WriteContentRequest request) throws Exception {
            Object answer = next(request);
            assertThat(answer).isInstanceOf(Throwable.class);
            return (Throwable) answer;
        }
    }
}
