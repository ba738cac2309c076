package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.content.BlobWriter;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.content.DigestMismatchException;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.RegistryProxy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class RegistryClientTest {
    private static final Platform AMD64 = Platform.parse("linux/amd64");
    private static final Platform ARM64 = Platform.parse("linux/arm64");

    @RegisterExtension
    static final LocalRegistry registry = LocalRegistry.anonymous();

    private final ContentStore local;
    /** The second store, that pulls and downloads go into. */
    private final ContentStore pulled;

    private final RegistryClient client;

    RegistryClientTest(@TempDir Path dir) throws IOException {
        local = ContentStore.open(dir.resolve("local"));
        pulled = ContentStore.open(dir.resolve("pulled"));
        client = RegistryClient.builder().retryBackoff(Duration.ofMillis(10)).build();
    }

    @AfterEach
    void tearDown() {
        client.close();
    }

    /** Pushes a one-layer test image (made from {@code seed}) as {@code reference} and gives its layer. */
    private Descriptor pushLayer(long seed, int layerSize, String reference) throws IOException {
        TestImage image = TestImage.make(local, AMD64, seed, layerSize);
        image.push(client, registry.reference(reference), local);
        return image.layers().getFirst();
    }

    /** A client that gives up on a silent registry after 1 s and retries at once. */
    private static RegistryClient impatientClient() {
        return RegistryClient.builder()
                .retryBackoff(Duration.ofMillis(10))
                .readTimeout(Duration.ofSeconds(1))
                .build();
    }

    @Test
    void pushedImagePullsBackIdentical() throws IOException {
        TestImage image = TestImage.make(local, AMD64, 1, 5000, 12345);
        ImageReference reference = registry.reference("app/pushed:1.0");

        Descriptor pushed = image.push(client, reference, local);
        ResolvedImage pulledImage = client.pull(reference, AMD64, pulled);

        assertThat(client.resolve(reference)).isEqualTo(pushed);
        assertThat(pushed.digest()).isEqualTo(Digest.sha256(image.manifestBytes()));
        assertThat(pulledImage.root().descriptor()).isEqualTo(pushed);
        assertThat(pulledImage.index()).isEmpty();
        assertThat(pulledImage.manifest()).isEqualTo(image.manifest());
        assertThat(pulledImage.config()).isEqualTo(image.config());
        assertThat(pulledImage.pinned().digest()).isEqualTo(pushed.digest().toString());
        for (Descriptor blob : List.of(image.layers().get(0), image.layers().get(1), image.configDescriptor())) {
            assertThat(pulled.read(blob.digest())).isEqualTo(local.read(blob.digest()));
        }
        assertThat(pulled.read(pushed.digest())).isEqualTo(image.manifestBytes());
    }

    @Test
    void aResolveReadsTheDocumentsAStoreHoldsAndAsksTheRegistryOnlyForTheTag() throws IOException {
        TestImage first = TestImage.make(local, AMD64, 21, 2000);
        TestImage second = TestImage.make(local, AMD64, 22, 2000);
        ContentStore known = pulled;
        try (RegistryProxy proxy = RegistryProxy.start(registry.host())) {
            ImageReference reference = ImageReference.parseNormalized(proxy.host() + "/app/moving:1");
            first.push(client, reference, local);
            known.write(first.manifestBytes());
            known.write(local.read(first.configDescriptor().digest()));
            int before = proxy.requests().size();

            ResolvedImage resolved = client.resolveImage(reference, AMD64, known);

            assertThat(proxy.requests().subList(before, proxy.requests().size()))
                    .containsExactly("HEAD /v2/app/moving/manifests/1");
            assertThat(resolved.manifest()).isEqualTo(first.manifest());
            assertThat(resolved.config()).isEqualTo(first.config());

            // the tag moves: its new manifest and config are not known, so they come from the registry
            Descriptor moved = second.push(client, reference, local);
            ResolvedImage again = client.resolveImage(reference, AMD64, known);

            assertThat(again.root().descriptor()).isEqualTo(moved);
            assertThat(again.manifest()).isEqualTo(second.manifest());
            assertThat(again.config()).isEqualTo(second.config());
        }
    }

    @Test
    void blobExistenceIsCheckedBeforeUploading() throws IOException {
        TestImage image = TestImage.make(local, AMD64, 2, 3000);
        ImageReference repository = registry.reference("app/exists");
        Descriptor layer = image.layers().getFirst();

        assertThat(client.blobExists(repository, layer.digest())).isFalse();
        assertThat(client.pushBlob(repository, layer, local)).isEqualTo(PushResult.UPLOADED);
        assertThat(client.blobExists(repository, layer.digest())).isTrue();
        assertThat(client.pushBlob(repository, layer, local)).isEqualTo(PushResult.ALREADY_PRESENT);
    }

    @Test
    void blobOfAnotherRepositoryIsMountedNotSent() throws IOException {
        TestImage image = TestImage.make(local, AMD64, 3, 4000);
        Descriptor layer = image.layers().getFirst();
        ImageReference base = registry.reference("mount/base");
        ImageReference derived = registry.reference("mount/derived");
        client.pushBlob(base, layer, local);

        PushResult result = client.pushBlob(
                derived,
                layer,
                () -> {
                    throw new IOException("a mounted blob must not be read");
                },
                base);

        assertThat(result).isEqualTo(PushResult.MOUNTED);
        assertThat(client.blobExists(derived, layer.digest())).isTrue();
        Digest unknown = Digest.sha256("never pushed".getBytes());
        assertThat(client.mountBlob(registry.reference("mount/other"), base, unknown))
                .isFalse();
        assertThat(client.blobExists(registry.reference("mount/other"), unknown))
                .isFalse();
    }

    @Test
    void chunkedUploadSendsLargeBlobsInPieces() throws IOException {
        TestImage image = TestImage.make(local, AMD64, 4, 5500, 0);
        ImageReference reference = registry.reference("app/chunked:1");
        try (RegistryClient chunked = RegistryClient.builder().chunkSize(1000).build()) {
            image.push(chunked, reference, local);
        }

        for (Descriptor layer : image.layers()) {
            assertThat(client.fetchBlob(reference, layer)).isEqualTo(local.read(layer.digest()));
        }
    }

    @Test
    void indexWithTwoPlatformsResolvesToTheWantedOne() throws IOException {
        TestImage amd64 = TestImage.make(local, AMD64, 5, 100);
        TestImage arm64 = TestImage.make(local, new Platform("linux", "arm64", "v8", "", List.of()), 6, 200);
        ImageReference reference = registry.reference("multi/app:latest");
        Descriptor amd64Manifest = amd64.push(
                        client, registry.reference("multi/app@" + Digest.sha256(amd64.manifestBytes())), local)
                .withPlatform(AMD64);
        Descriptor arm64Manifest = arm64.push(client, registry.reference("multi/app:arm64"), local)
                .withPlatform(arm64.config().platform());
        ImageIndex index = ImageIndex.oci(List.of(amd64Manifest, arm64Manifest));
        Descriptor pushedIndex = client.pushManifest(reference, index);

        ResolvedImage onArm = client.resolveImage(registry.reference("multi/app"), Platform.parse("linux/aarch64"));
        ResolvedImage onAmd = client.resolveImage(registry.reference("multi/app"), Platform.of("linux", "x86_64"));

        assertThat(client.resolve(reference)).isEqualTo(pushedIndex);
        assertThat(pushedIndex.mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(onArm.index()).contains(index);
        assertThat(onArm.image().descriptor().digest()).isEqualTo(arm64Manifest.digest());
        assertThat(onArm.config().architecture()).isEqualTo("arm64");
        assertThat(onAmd.config()).isEqualTo(amd64.config());
        assertThat(onAmd.pinned().digest()).isEqualTo(pushedIndex.digest().toString());
        assertThatThrownBy(() -> client.resolveImage(reference, Platform.parse("linux/s390x")))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining(registry.host())
                .hasMessageContaining("multi/app")
                .hasMessageContaining("no manifest for linux/s390x (its index offers [linux/amd64, linux/arm64/v8])");
    }

    @Test
    void dockerManifestListAndManifestKeepTheirMediaTypes() throws IOException {
        TestImage image = TestImage.make(local, AMD64, 7, 300);
        ImageReference reference = registry.reference("docker/app:v1");
        client.pushBlob(reference, image.configDescriptor().withMediaType(MediaTypes.DOCKER_CONFIG), local);
        client.pushBlob(reference, image.layers().getFirst(), local);
        ImageManifest docker = ImageManifest.docker(
                image.configDescriptor().withMediaType(MediaTypes.DOCKER_CONFIG),
                List.of(image.layers().getFirst().withMediaType(MediaTypes.DOCKER_LAYER_GZIP)));
        Descriptor manifest = client.pushManifest(registry.reference("docker/app:v1-amd64"), docker);
        Descriptor list = client.pushManifest(reference, ImageIndex.docker(List.of(manifest.withPlatform(AMD64))));

        ResolvedImage resolved = client.resolveImage(reference, AMD64);

        assertThat(list.mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
        assertThat(client.resolve(reference).mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
        assertThat(resolved.image().descriptor().mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
        assertThat(resolved.manifest().isDocker()).isTrue();
    }

    @Test
    void tagGivesAManifestASecondName() throws IOException {
        TestImage image = TestImage.make(local, AMD64, 8, 10);
        Descriptor pushed = image.push(client, registry.reference("app/tagged:build-1"), local);

        client.tag(registry.reference("app/tagged@" + pushed.digest()), "stable");

        assertThat(client.resolve(registry.reference("app/tagged:stable"))).isEqualTo(pushed);
        assertThat(client.fetchManifest(registry.reference("app/tagged@" + pushed.digest()))
                        .bytes())
                .isEqualTo(image.manifestBytes());
    }

    @Test
    void missingManifestErrorNamesRegistryRepositoryReferenceAndTheRegistrysMessage() {
        ImageReference missing = registry.reference("app/missing:nope");

        assertThatThrownBy(() -> client.resolve(missing))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.errorCodes()).contains("MANIFEST_UNKNOWN");
                    assertThat(e.registry()).isEqualTo(registry.host());
                })
                .hasMessage(
                        "fetching manifest: registry " + registry.host() + ", repository app/missing, reference nope: "
                                + "HTTP 404: MANIFEST_UNKNOWN: manifest unknown ({\"Tag\":\"nope\"})");
        assertThatThrownBy(() -> client.fetchBlob(
                        registry.reference("app/missing"),
                        Descriptor.of(MediaTypes.OCI_LAYER, Digest.sha256(new byte[1]), 1)))
                .hasMessageContaining("HTTP 404: BLOB_UNKNOWN: blob unknown to registry");
    }

    @Test
    void registryThatCorruptsABlobIsRefusedAndNothingIsStored() throws IOException {
        Descriptor layer = pushLayer(9, 20000, "lying/app:1");
        try (RegistryProxy liar = RegistryProxy.start(registry.host()).corrupt(layer.digest())) {
            ImageReference throughLiar = ImageReference.parseNormalized(liar.host() + "/lying/app:1");

            assertThatThrownBy(() -> client.fetchBlob(throughLiar, layer, pulled))
                    .isInstanceOf(DigestMismatchException.class)
                    .hasMessageStartingWith(
                            "fetching blob: registry " + liar.host() + ", repository lying/app: blob " + layer.digest()
                                    + " refused: content does not match its digest: expected " + layer.digest());
            assertThatThrownBy(() -> client.pull(throughLiar, AMD64, pulled))
                    .isInstanceOf(DigestMismatchException.class)
                    .hasMessageContaining(layer.digest().toString());
            assertThatThrownBy(() -> client.fetchBlob(throughLiar, layer)).isInstanceOf(DigestMismatchException.class);
            assertThatThrownBy(() -> {
                        try (InputStream in = client.openBlob(throughLiar, layer)) {
                            in.transferTo(java.io.OutputStream.nullOutputStream());
                        }
                    })
                    .isInstanceOf(DigestMismatchException.class);
        }

        assertThat(pulled.exists(layer.digest())).isFalse();
        assertThat(pulled.ingestedBytes(layer.digest())).isZero();
        assertThat(Files.exists(pulled.blobPath(layer.digest()))).isFalse();
    }

    @Test
    void brokenDownloadResumesFromWhereItStopped() throws IOException {
        Descriptor layer = pushLayer(10, 200_000, "flaky/app:1");
        try (RegistryProxy flaky = RegistryProxy.start(registry.host()).truncateOnce(layer.digest(), 70_000)) {
            ImageReference throughProxy = ImageReference.parseNormalized(flaky.host() + "/flaky/app");

            client.fetchBlob(throughProxy, layer, pulled);

            List<String> blobRequests = flaky.requestsFor(layer.digest());
            assertThat(blobRequests).hasSize(2);
            assertThat(blobRequests.get(0)).doesNotContain("Range");
            assertThat(blobRequests.get(1)).matches(".* Range: bytes=\\d+-");
            long resumedAt = Long.parseLong(blobRequests.get(1).replaceAll(".*bytes=(\\d+)-", "$1"));
            assertThat(resumedAt).isPositive().isLessThanOrEqualTo(70_000);
        }
        assertThat(pulled.read(layer.digest())).isEqualTo(local.read(layer.digest()));
    }

    @Test
    void partialDownloadLeftByAnEarlierRunIsContinued() throws IOException {
        Descriptor layer = pushLayer(11, 50_000, "resume/app:1");
        byte[] content = local.read(layer.digest());
        try (BlobWriter earlier = pulled.writer(layer.digest(), layer.size())) {
            earlier.write(content, 0, 20_000);
        }

        try (RegistryProxy proxy = RegistryProxy.start(registry.host())) {
            client.fetchBlob(ImageReference.parseNormalized(proxy.host() + "/resume/app"), layer, pulled);

            assertThat(proxy.requestsFor(layer.digest()))
                    .containsExactly("GET /v2/resume/app/blobs/" + layer.digest() + " Range: bytes=20000-");
        }
        assertThat(pulled.read(layer.digest())).isEqualTo(content);
    }

    @Test
    void corruptPartialDownloadIsReplacedByAFreshOne() throws IOException {
        Descriptor layer = pushLayer(12, 30_000, "resume/bad:1");
        try (BlobWriter earlier = pulled.writer(layer.digest(), layer.size())) {
            earlier.write(new byte[10_000]);
        }

        client.fetchBlob(registry.reference("resume/bad"), layer, pulled);

        assertThat(pulled.read(layer.digest())).isEqualTo(local.read(layer.digest()));
    }

    @Test
    void blobsAlreadyStoredAreNotDownloadedAgain() throws IOException {
        Descriptor layer = pushLayer(13, 1000, "cached/app:1");
        try (RegistryProxy proxy = RegistryProxy.start(registry.host())) {
            ImageReference throughProxy = ImageReference.parseNormalized(proxy.host() + "/cached/app:1");

            client.pull(throughProxy, AMD64, local);

            assertThat(proxy.requestsFor(layer.digest())).isEmpty();
        }
    }

    @Test
    void redirectedBlobDownloadIsFollowed() throws IOException {
        Descriptor layer = pushLayer(14, 4000, "redirect/app:1");
        try (RegistryProxy proxy = RegistryProxy.start(registry.host()).redirectBlobs()) {
            ImageReference throughProxy = ImageReference.parseNormalized(proxy.host() + "/redirect/app:1");

            assertThat(client.fetchBlob(throughProxy, layer)).isEqualTo(local.read(layer.digest()));
        }
    }

    @Test
    void serverErrorsAreRetried() throws IOException {
        TestImage image = TestImage.make(local, AMD64, 15, 100);
        Descriptor pushed = image.push(client, registry.reference("retry/app:1"), local);
        try (RegistryProxy proxy = RegistryProxy.start(registry.host()).failNext(2, 503)) {
            ImageReference throughProxy = ImageReference.parseNormalized(proxy.host() + "/retry/app:1");

            assertThat(client.resolve(throughProxy)).isEqualTo(pushed);
            assertThat(proxy.requests()).hasSize(3);

            proxy.failNext(10, 502);
            assertThatThrownBy(() -> client.resolve(throughProxy))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("HTTP 502");
        }
    }

    @Test
    @Timeout(60)
    void stalledDownloadTimesOutAndResumesWithARange() throws IOException {
        Descriptor layer = pushLayer(16, 300_000, "stall/app:1");
        try (RegistryProxy stalling = RegistryProxy.start(registry.host()).stallOnce(layer.digest(), 100_000);
                RegistryClient impatient = impatientClient()) {
            long started = System.nanoTime();

            impatient.fetchBlob(ImageReference.parseNormalized(stalling.host() + "/stall/app"), layer, pulled);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
            List<String> blobRequests = stalling.requestsFor(layer.digest());
            assertThat(blobRequests).hasSize(2);
            assertThat(blobRequests.get(0)).doesNotContain("Range");
            long resumedAt = Long.parseLong(blobRequests.get(1).replaceAll(".*Range: bytes=(\\d+)-", "$1"));
            assertThat(resumedAt).isPositive().isLessThanOrEqualTo(100_000);
        }
        assertThat(pulled.read(layer.digest())).isEqualTo(local.read(layer.digest()));
    }

    @Test
    @Timeout(60)
    void registryThatStaysStalledFailsNamingRegistryAndBlob() throws IOException {
        Descriptor layer = pushLayer(17, 200_000, "stall/forever:1");
        String previous = System.setProperty(RegistryClient.READ_TIMEOUT_PROPERTY, "500ms");
        try (RegistryProxy stalling = RegistryProxy.start(registry.host()).stallAlways(layer.digest(), 1000);
                RegistryClient configured = RegistryClient.builder()
                        .retryBackoff(Duration.ofMillis(10))
                        .build()) {
            ImageReference throughProxy = ImageReference.parseNormalized(stalling.host() + "/stall/forever:1");
            long started = System.nanoTime();

            assertThatThrownBy(() -> configured.pull(throughProxy, AMD64, pulled))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("registry " + stalling.host())
                    .hasMessageContaining("blob " + layer.digest())
                    .hasMessageContaining(
                            "the registry stopped sending (no data arrived for 500 ms; read timeout 500 ms)")
                    .hasMessageContaining("4 times");

            // 4 attempts of 0.5 s each, and the short pauses between them
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
            assertThat(stalling.requestsFor(layer.digest())).hasSize(4);
        } finally {
            if (previous == null) {
                System.clearProperty(RegistryClient.READ_TIMEOUT_PROPERTY);
            } else {
                System.setProperty(RegistryClient.READ_TIMEOUT_PROPERTY, previous);
            }
        }
        assertThat(pulled.exists(layer.digest())).isFalse();
    }

    @Test
    @Timeout(60)
    void slowButSteadyDownloadIsNotCutByTheReadTimeout() throws IOException {
        Descriptor layer = pushLayer(18, 60_000, "slow/app:1");
        try (RegistryProxy slow = RegistryProxy.start(registry.host()).slow(10_000, Duration.ofMillis(400));
                RegistryClient impatient = impatientClient()) {

            impatient.fetchBlob(ImageReference.parseNormalized(slow.host() + "/slow/app"), layer, pulled);

            // 2.4 s in all, longer than the timeout, but never 1 s without data: one request, no resume.
            assertThat(slow.requestsFor(layer.digest())).hasSize(1);
        }
        assertThat(pulled.read(layer.digest())).isEqualTo(local.read(layer.digest()));
    }

    @Test
    @Timeout(60)
    void registryThatLiesAfterAResumeIsRefusedAndNothingIsStored() throws IOException {
        Descriptor layer = pushLayer(19, 300_000, "stall/liar:1");
        try (RegistryProxy liar = RegistryProxy.start(registry.host())
                        .stallOnce(layer.digest(), 50_000)
                        .corrupt(layer.digest());
                RegistryClient impatient = impatientClient()) {

            assertThatThrownBy(() -> impatient.fetchBlob(
                            ImageReference.parseNormalized(liar.host() + "/stall/liar"), layer, pulled))
                    .isInstanceOf(DigestMismatchException.class)
                    .hasMessageContaining("registry " + liar.host())
                    .hasMessageContaining("blob " + layer.digest() + " refused: content does not match its digest");
            assertThat(liar.requestsFor(layer.digest())).hasSize(2);
        }
        assertThat(pulled.exists(layer.digest())).isFalse();
        assertThat(pulled.ingestedBytes(layer.digest())).isZero();
    }

    @Test
    void droppedConnectionsAreRetried() throws IOException {
        TestImage image = TestImage.make(local, AMD64, 20, 100);
        Descriptor pushed = image.push(client, registry.reference("drop/app:1"), local);
        try (RegistryProxy proxy = RegistryProxy.start(registry.host()).dropNext(2)) {
            ImageReference throughProxy = ImageReference.parseNormalized(proxy.host() + "/drop/app:1");

            assertThat(client.resolve(throughProxy)).isEqualTo(pushed);
            assertThat(proxy.requests()).hasSize(3);
        }
    }

    @Test
    void readTimeoutIsConfiguredAsADuration() {
        assertThat(RegistryClient.parseDuration("30s", "x")).isEqualTo(Duration.ofSeconds(30));
        assertThat(RegistryClient.parseDuration("1500ms", "x")).isEqualTo(Duration.ofMillis(1500));
        assertThat(RegistryClient.parseDuration("2m", "x")).isEqualTo(Duration.ofMinutes(2));
        assertThat(RegistryClient.parseDuration(" 5 ", "x")).isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(
                        () -> RegistryClient.parseDuration("soon", "environment variable KILN_REGISTRY_READ_TIMEOUT"))
                .hasMessage("environment variable KILN_REGISTRY_READ_TIMEOUT is \"soon\"; give a duration such as 30s, "
                        + "1500ms or 2m");
        assertThatThrownBy(() -> RegistryClient.parseDuration("0", "x")).hasMessageContaining("must be positive");
    }
}
