package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kiln.api.content.ContentGrpc;
import dev.kiln.api.content.Info;
import dev.kiln.api.content.InfoRequest;
import dev.kiln.api.content.InfoResponse;
import dev.kiln.api.content.ReadContentRequest;
import dev.kiln.api.content.ReadContentResponse;
import dev.kiln.api.content.WriteAction;
import dev.kiln.api.content.WriteContentRequest;
import dev.kiln.api.content.WriteContentResponse;
import dev.kiln.api.control.CacheOptions;
import dev.kiln.api.control.CacheOptionsEntry;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.control.StatusRequest;
import dev.kiln.api.control.Vertex;
import dev.kiln.api.session.SessionTunnel;
import dev.kiln.core.Digest;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.Descriptor;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A type=local cache of a client without direct access goes through the content store its session serves, as
 * buildctl's and buildx's do: the daemon writes the blobs there and answers cache.manifest, and a fresh daemon reads
 * them back from there, so the step is a cache hit; nothing is written at the directory's path on the daemon's host.
 */
class SessionCacheTest extends DaemonWithBusybox {

    /** A client's content store on a directory, as containerd's local store keeps blobs: blobs/sha256/HEX. */
    static final class DirectoryContent extends ContentGrpc.ContentImplBase {
        private final Path blobs;

        DirectoryContent(Path dir) throws IOException {
            this.blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
        }

        Path blob(String digest) {
            return blobs.resolve(Digest.parse(digest).hex());
        }

        @Override
        public void info(InfoRequest request, StreamObserver<InfoResponse> response) {
            Path file = blob(request.getDigest());
            if (!Files.isRegularFile(file)) {
                response.onError(
                        Status.NOT_FOUND.withDescription(request.getDigest()).asRuntimeException());
                return;
            }
            try {
                response.onNext(InfoResponse.newBuilder()
                        .setInfo(
                                Info.newBuilder().setDigest(request.getDigest()).setSize(Files.size(file)))
                        .build());
                response.onCompleted();
            } catch (IOException e) {
                response.onError(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
            }
        }

        @Override
        public void read(ReadContentRequest request, StreamObserver<ReadContentResponse> response) {
            try (InputStream in = Files.newInputStream(blob(request.getDigest()))) {
                byte[] chunk = new byte[64 * 1024];
                long offset = 0;
                for (int n; (n = in.read(chunk)) > 0; offset += n) {
                    response.onNext(ReadContentResponse.newBuilder()
                            .setOffset(offset)
                            .setData(ByteString.copyFrom(chunk, 0, n))
                            .build());
                }
                response.onCompleted();
            } catch (IOException e) {
                response.onError(
                        Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
            }
        }

        @Override
        public StreamObserver<WriteContentRequest> write(StreamObserver<WriteContentResponse> response) {
            var written = new ByteArrayOutputStream();
            return new StreamObserver<>() {
                @Override
                public void onNext(WriteContentRequest request) {
                    written.writeBytes(request.getData().toByteArray());
                    var answer = WriteContentResponse.newBuilder()
                            .setAction(request.getAction())
                            .setOffset(written.size());
                    if (request.getAction() == WriteAction.COMMIT) {
                        byte[] bytes = written.toByteArray();
                        String digest = Digest.sha256(bytes).toString();
                        if (!digest.equals(request.getExpected()) || bytes.length != request.getTotal()) {
                            response.onError(Status.FAILED_PRECONDITION
                                    .withDescription("got " + digest + ", " + bytes.length + " bytes")
                                    .asRuntimeException());
                            return;
                        }
                        try {
                            Files.write(blob(digest), bytes);
                        } catch (IOException e) {
                            response.onError(Status.INTERNAL
                                    .withDescription(e.getMessage())
                                    .asRuntimeException());
                            return;
                        }
                        answer.setDigest(digest);
                    }
                    response.onNext(answer.build());
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    response.onCompleted();
                }
            };
        }
    }

    @Test
    void aLocalCacheIsWrittenToAndReadFromTheClientsSessionStore() throws Exception {
        Path clientDir = tmp.resolve("client-cache");
        DirectoryContent store = new DirectoryContent(clientDir);
        // The path the client sends names its own directory; on the daemon's host nothing may appear there.
        Path dest = tmp.resolve("as-the-client-names-it");
        State random = State.image(busybox.toString())
                .run(RunOption.sh("head -c 16 /dev/urandom | od -x > /rand"), OpOption.customName("random"))
                .root();

        String exportSession = UUID.randomUUID().toString();
        SolveResponse exported;
        try (SessionTunnel tunnel =
                SessionTunnel.open(daemon.controlAsync(), exportSession, "test", "", List.of(store))) {
            exported = daemon.control()
                    .solve(solve(random, "export-" + System.nanoTime(), exportSession)
                            .setCache(CacheOptions.newBuilder()
                                    .addExports(CacheOptionsEntry.newBuilder()
                                            .setType("local")
                                            .putAttrs("dest", dest.toString())
                                            .putAttrs("mode", "max")))
                            .build());
        }
        Descriptor manifest = Descriptor.parse(
                exported.getExporterResponseOrThrow("cache.manifest").getBytes(), "cache.manifest");
        assertThat(store.blob(manifest.digest().toString())).isRegularFile();
        assertThat(dest).doesNotExist();

        try (DaemonFixture fresh = new DaemonFixture(tmp.resolve("fresh"))) {
            String importSession = UUID.randomUUID().toString();
            String ref = "import-" + System.nanoTime();
            try (SessionTunnel tunnel =
                    SessionTunnel.open(fresh.controlAsync(), importSession, "test", "", List.of(store))) {
                fresh.control()
                        .solve(solve(random, ref, importSession)
                                .setCache(CacheOptions.newBuilder()
                                        .addImports(CacheOptionsEntry.newBuilder()
                                                .setType("local")
                                                .putAttrs("src", dest.toString())
                                                .putAttrs(
                                                        "digest",
                                                        manifest.digest().toString())))
                                .build());
            }
            Map<String, Vertex> last = new HashMap<>();
            fresh.control()
                    .status(StatusRequest.newBuilder().setRef(ref).build())
                    .forEachRemaining(status -> status.getVertexesList().forEach(v -> last.put(v.getDigest(), v)));
            List<Vertex> runs = new ArrayList<>(last.values().stream()
                    .filter(v -> v.getName().equals("random"))
                    .toList());
            assertThat(runs)
                    .singleElement()
                    .satisfies(v -> assertThat(v.getCached()).isTrue());
        }
    }

    private static SolveRequest.Builder solve(State state, String ref, String session) {
        return SolveRequest.newBuilder()
                .setRef(ref)
                .setSession(session)
                .setDefinition(state.marshal().toByteString());
    }
}
