package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.ContainerConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.RootFs;
import dev.kiln.oci.layer.LayerWriteOptions;
import dev.kiln.oci.layer.LayerWriter;
import dev.kiln.oci.layer.WrittenLayer;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.SmallDisk;
import dev.kiln.worker.BusyboxImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An engine whose state directory is a real 24 MiB tmpfs, filled by pulling an image larger than that. */
class StateDiskFullTest {

    @TempDir
    Path dir;

    @Test
    void pullThatFillsTheStateDiskNamesItFreesWhatItWroteAndTheNextBuildWorks() throws Exception {
        assumeTrue(SmallDisk.canMount(), "mounting a tmpfs needs root");
        try (LocalRegistry registry = LocalRegistry.anonymous().start();
                RegistryClient client = RegistryClient.builder().build()) {
            ImageReference busybox = registry.reference("library/busybox:1");
            BusyboxImage.push(client, busybox, dir);
            ImageReference big = registry.reference("big/random:1");
            pushRandomImage(client, big, 32 << 20);
            try (SmallDisk disk = SmallDisk.mount(dir.resolve("kiln/state"), 24);
                    EngineFixture kiln = new EngineFixture(dir.resolve("kiln"))) {
                Path state = disk.path();
                long free = disk.free();

                assertThatThrownBy(() -> kiln.build(State.image(big.toString())))
                        .isInstanceOf(BuildException.class)
                        .hasMessageStartingWith("the disk holding the state directory " + state + " is full")
                        .hasMessageContaining("No space left on device")
                        .hasMessageNotContaining("broke off");

                try (Stream<Path> ingest = Files.list(state.resolve("worker/images/content/ingest"))) {
                    assertThat(ingest.map(p -> p.getFileName().toString()))
                            .noneMatch(name -> name.endsWith(".partial") || name.startsWith("tmp-"));
                }
                assertThat(disk.free()).isGreaterThan(free - (2 << 20));

                Path out = kiln.build(State.image(busybox.toString())
                        .run(RunOption.sh("echo fine > /f"))
                        .root());
                assertThat(out.resolve("f")).hasContent("fine\n");
            }
        }
    }

    /** An image of one layer holding {@code bytes} random bytes (gzip cannot make them smaller). */
    private void pushRandomImage(RegistryClient client, ImageReference reference, int bytes) throws Exception {
        Path root = Files.createDirectories(dir.resolve("random-rootfs"));
        byte[] random = new byte[bytes];
        new Random(7).nextBytes(random);
        Files.write(root.resolve("random.bin"), random);
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        WrittenLayer layer = LayerWriter.write(root, blob, LayerWriteOptions.defaults());
        Descriptor layerDescriptor = Descriptor.of(layer.mediaType(), layer.digest(), layer.size());
        ImageConfig config = ImageConfig.empty(Platform.current())
                .withConfig(ContainerConfig.EMPTY.withCmd(List.of("sh")))
                .withRootFs(RootFs.layers(List.of(layer.diffId())));
        byte[] configJson = config.toJson();
        Descriptor configDescriptor = Descriptor.of(MediaTypes.OCI_CONFIG, configJson);
        client.pushBlob(reference, layerDescriptor, () -> new ByteArrayInputStream(blob.toByteArray()));
        client.pushBlob(reference, configDescriptor, () -> new ByteArrayInputStream(configJson));
        client.pushManifest(reference, ImageManifest.oci(configDescriptor, List.of(layerDescriptor)));
    }
}
