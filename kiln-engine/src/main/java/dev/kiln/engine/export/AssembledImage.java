package dev.kiln.engine.export;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageManifest;
import java.util.List;

/**
 * An image made from a build result, every blob of it (layers, config, manifest) in the engine's content store.
 *
 * @param manifestDescriptor what names and indexes point at: the manifest's media type, digest and size
 */
record AssembledImage(
        ImageManifest manifest,
        Descriptor manifestDescriptor,
        ImageConfig config,
        Descriptor configDescriptor,
        List<ImageLayer> layers)
        implements ExportedImage {

    AssembledImage {
        layers = List.copyOf(layers);
    }

    @Override
    public Descriptor descriptor() {
        return manifestDescriptor;
    }

    @Override
    public List<AssembledImage> images() {
        return List.of(this);
    }
}
