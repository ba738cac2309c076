package dev.kiln.oci.registry;

import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.ContainerConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.RootFs;
import dev.kiln.oci.content.ContentStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * An image made in a test: a config and layers of pseudo-random bytes (the registry treats layers as opaque blobs),
 * stored in a content store, with its manifest.
 */
record TestImage(
        Descriptor configDescriptor,
        ImageConfig config,
        List<Descriptor> layers,
        ImageManifest manifest,
        byte[] manifestBytes) {

    static TestImage make(ContentStore store, Platform platform, long seed, int... layerSizes) throws IOException {
        Random random = new Random(seed);
        List<Descriptor> layers = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>();
        for (int size : layerSizes) {
            byte[] layer = new byte[size];
            random.nextBytes(layer);
            Digest digest = store.write(layer);
            layers.add(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, digest, size));
            diffIds.add(digest);
        }
        ImageConfig config = ImageConfig.empty(platform)
                .withConfig(ContainerConfig.EMPTY.withCmd(List.of("/bin/sh", "-c", "echo " + seed)))
                .withRootFs(RootFs.layers(diffIds));
        byte[] configBytes = config.toJson();
        Descriptor configDescriptor =
                Descriptor.of(MediaTypes.OCI_CONFIG, store.write(configBytes), configBytes.length);
        ImageManifest manifest = ImageManifest.oci(configDescriptor, layers);
        return new TestImage(configDescriptor, config, layers, manifest, manifest.toJson());
    }

    /** Pushes config, layers and manifest (under {@code reference}'s tag) and returns the manifest's descriptor. */
    Descriptor push(RegistryClient client, ImageReference reference, ContentStore store) throws IOException {
        client.pushBlob(reference, configDescriptor, store);
        for (Descriptor layer : layers) {
            client.pushBlob(reference, layer, store);
        }
        return client.pushManifest(reference, MediaTypes.OCI_MANIFEST, manifestBytes);
    }
}
