package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.content.BlobWriter;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.content.DiskFullException;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.RegistryProxy;
import dev.kiln.oci.testing.Resources;
import dev.kiln.oci.testing.SmallDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Pulls and writes into a content store on a real 8 MiB tmpfs, so that the disk really fills up. */
class DiskFullPullTest {
    private static final Platform AMD64 = Platform.parse("linux/amd64");

    @RegisterExtension
    static final LocalRegistry registry = LocalRegistry.anonymous();

    @TempDir
    Path dir;

    private SmallDisk disk;
    private ContentStore local;
    private RegistryClient client;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(SmallDisk.canMount(), "mounting a tmpfs needs root");
        disk = SmallDisk.mount(dir.resolve("state"), 8);
        local = ContentStore.open(dir.resolve("local"));
        client = RegistryClient.builder().retryBackoff(Duration.ofMillis(10)).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        Resources.closeAll(client, disk);
    }

    @Test
    void pullOfALayerLargerThanTheDiskSaysTheDiskIsFullAndLeavesNothingBehind() throws IOException {
        TestImage big = TestImage.make(local, AMD64, 21, 12 << 20);
        TestImage small = TestImage.make(local, AMD64, 22, 100_000);
        big.push(client, registry.reference("full/big:1"), local);
        small.push(client, registry.reference("full/small:1"), local);
        ContentStore store = ContentStore.open(disk.path().resolve("content"));
        long freeBefore = disk.free();
        Descriptor layer = big.layers().getFirst();

        try (RegistryProxy proxy = RegistryProxy.start(registry.host())) {
            ImageReference throughProxy = ImageReference.parseNormalized(proxy.host() + "/full/big:1");

            assertThatThrownBy(() -> client.pull(throughProxy, AMD64, store))
                    .isInstanceOfSatisfying(
                            DiskFullException.class,
                            e -> assertThat(e.directory()).isEqualTo(store.root()))
                    .hasMessageContaining("the disk holding " + store.root() + " is full (No space left on device)")
                    .hasMessageContaining("registry " + proxy.host())
                    .hasMessageContaining(layer.digest().toString())
                    .hasMessageNotContaining("broke off");

            // A full disk is no network failure: the blob was asked for once, not again and again.
            assertThat(proxy.requestsFor(layer.digest())).hasSize(1);
        }
        assertThat(ingestFiles(store)).noneMatch(name -> name.endsWith(".partial") || name.startsWith("tmp-"));
        assertThat(store.ingestedBytes(layer.digest())).isZero();
        assertThat(store.exists(layer.digest())).isFalse();
        // What the pull wrote is gone, so the next build has the disk it had before.
        assertThat(disk.free()).isGreaterThanOrEqualTo(freeBefore - (64 << 10));

        client.pull(registry.reference("full/small:1"), AMD64, store);

        assertThat(store.read(small.layers().getFirst().digest()))
                .isEqualTo(local.read(small.layers().getFirst().digest()));
    }

    @Test
    void blobOfUnknownDigestThatFillsTheDiskLeavesNoTemporaryFile() throws IOException {
        ContentStore store = ContentStore.open(disk.path().resolve("content"));
        byte[] chunk = new byte[1 << 20];
        new Random(5).nextBytes(chunk);

        assertThatThrownBy(() -> {
                    try (BlobWriter writer = store.writer(null, -1)) {
                        for (int i = 0; i < 12; i++) {
                            writer.write(chunk);
                        }
                        writer.commit();
                    }
                })
                .isInstanceOf(DiskFullException.class)
                .hasMessageStartingWith("the disk holding " + store.root() + " is full (No space left on device) while "
                        + "storing a blob");

        assertThat(ingestFiles(store)).isEmpty();
        assertThat(store.write(chunk)).isNotNull();
    }

    private static List<String> ingestFiles(ContentStore store) throws IOException {
        try (Stream<Path> files = Files.list(store.root().resolve("ingest"))) {
            return files.map(path -> path.getFileName().toString()).toList();
        }
    }
}
