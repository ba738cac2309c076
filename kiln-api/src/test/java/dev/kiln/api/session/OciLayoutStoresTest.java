package dev.kiln.api.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.content.ContentGrpc;
import dev.kiln.api.content.InfoRequest;
import dev.kiln.api.content.InfoResponse;
import dev.kiln.api.content.ReadContentRequest;
import dev.kiln.api.content.ReadContentResponse;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's OCI layout stores through a real session tunnel, called as the daemon calls them: containerd's
 * Content API with the store named in the {@code buildkit-attachable-store-id} header.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OciLayoutStoresTest {

    @TempDir
    Path tmp;

    /** Larger than one Read answer, so a whole read arrives in several. */
    final byte[] blob = new byte[(1 << 20) * 2 + 12345];

    Digest digest;
    Path layout;
    SessionFixture session;

    @BeforeEach
    void layoutWithOneBlob() throws Exception {
        new Random(14).nextBytes(blob);
        digest = Digest.sha256(blob);
        layout = tmp.resolve("layout");
        Files.write(Files.createDirectories(layout.resolve("blobs/sha256")).resolve(digest.hex()), blob);
        session = new SessionFixture(tmp, List.of(new OciLayoutStores(Map.of("base", layout))));
    }

    @AfterEach
    void closeSession() throws Exception {
        session.close();
    }

    private ContentGrpc.ContentBlockingStub store(String id) throws Exception {
        Metadata headers = new Metadata();
        headers.put(SyncOptions.key("buildkit-attachable-store-id"), id);
        return ContentGrpc.newBlockingStub(session.daemonChannel())
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
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
                        "this client serves no content store oci:other (its stores are the OCI layouts oci:base)");
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
        Metadata headers = new Metadata();
        headers.put(SyncOptions.key("buildkit-attachable-store-id"), id);
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        StreamObserver<WriteContentRequest> requests = ContentGrpc.newStub(session.daemonChannel())
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .write(new StreamObserver<WriteContentResponse>() {
                    @Override
                    public void onNext(WriteContentResponse value) {
                        failed.completeExceptionally(new AssertionError("answered " + value));
                    }

                    @Override
                    public void onError(Throwable t) {
                        failed.complete(t);
                    }

                    @Override
                    public void onCompleted() {
                        failed.completeExceptionally(new AssertionError("the write completed"));
                    }
                });
        requests.onNext(WriteContentRequest.newBuilder()
                .setRef("x")
                .setData(com.google.protobuf.ByteString.copyFromUtf8("written?"))
                .build());
        return failed.get(30, TimeUnit.SECONDS);
    }
}
