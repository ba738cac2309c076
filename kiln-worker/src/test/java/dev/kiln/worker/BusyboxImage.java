package dev.kiln.worker;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.ContainerConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.History;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.RootFs;
import dev.kiln.oci.layer.LayerWriteOptions;
import dev.kiln.oci.layer.LayerWriter;
import dev.kiln.oci.layer.WrittenLayer;
import dev.kiln.oci.registry.RegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A busybox image made at test time (one gzip layer from Debian's busybox-static, a config with
 * PATH, a CMD and a label) and pushed to a registry on 127.0.0.1: the base image of the tests,
 * so that nothing needs a public registry.
 */
public final class BusyboxImage {

    public static final Instant CREATED = Instant.parse("2024-01-01T00:00:00Z");

    private BusyboxImage() {}

    /** Pushes the image as {@code reference} and returns the manifest's descriptor. */
    public static Descriptor push(RegistryClient registry, ImageReference reference, Path workDir) throws IOException {
        return push(registry, reference, workDir, CREATED);
    }

    /** As {@link #push(RegistryClient, ImageReference, Path)}, made at {@code created}: another image digest. */
    public static Descriptor push(RegistryClient registry, ImageReference reference, Path workDir, Instant created)
            throws IOException {
        return registry.pushManifest(
                reference, manifest(registry, reference, workDir, created, BusyboxRootfs.BUSYBOX, Platform.current()));
    }

    /**
     * Pushes a two-platform busybox as {@code reference}: the host's busybox-static as linux/amd64 and Debian's arm64
     * build ({@link ForeignBusybox#arm64()}) as linux/arm64, each manifest by its digest, then an OCI index of them
     * under the reference's tag. Returns the index's descriptor.
     */
    public static Descriptor pushTwoPlatforms(RegistryClient registry, ImageReference reference, Path workDir)
            throws IOException {
        List<Descriptor> manifests = new java.util.ArrayList<>();
        for (Platform platform : List.of(Platform.of("linux", "amd64"), Platform.of("linux", "arm64"))) {
            Path busybox = platform.architecture().equals("arm64") ? ForeignBusybox.arm64() : BusyboxRootfs.BUSYBOX;
            ImageManifest manifest = manifest(registry, reference, workDir, CREATED, busybox, platform);
            ImageReference byDigest = new ImageReference(reference.domain(), reference.path(), "", "");
            manifests.add(registry.pushManifest(byDigest, manifest).withPlatform(platform));
        }
        return registry.pushManifest(reference, dev.kiln.oci.ImageIndex.oci(manifests));
    }

    /** Pushes the layer and config of a busybox image for {@code platform} and returns its manifest. */
    private static ImageManifest manifest(
            RegistryClient registry,
            ImageReference reference,
            Path workDir,
            Instant created,
            Path busybox,
            Platform platform)
            throws IOException {
        Path rootfs = BusyboxRootfs.populate(
                Files.createDirectories(workDir.resolve("busybox-rootfs-" + System.nanoTime())), busybox);
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        WrittenLayer layer =
                LayerWriter.write(rootfs, blob, LayerWriteOptions.defaults().withClamp(CREATED));
        Descriptor layerDescriptor = Descriptor.of(layer.mediaType(), layer.digest(), layer.size());
        ImageConfig config = ImageConfig.empty(platform)
                .withCreated(created)
                .withConfig(ContainerConfig.EMPTY
                        .withEnv(List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"))
                        .withCmd(List.of("sh")))
                .withRootFs(RootFs.layers(List.of(layer.diffId())))
                .withHistory(List.of(History.of(created, "busybox-static from Debian", "", false)));
        byte[] configJson = config.toJson();
        Descriptor configDescriptor = Descriptor.of(MediaTypes.OCI_CONFIG, configJson);
        registry.pushBlob(reference, layerDescriptor, () -> new java.io.ByteArrayInputStream(blob.toByteArray()));
        registry.pushBlob(reference, configDescriptor, () -> new java.io.ByteArrayInputStream(configJson));
        return ImageManifest.oci(configDescriptor, List.of(layerDescriptor));
    }
}
