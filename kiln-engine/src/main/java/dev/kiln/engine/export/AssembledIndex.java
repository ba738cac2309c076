package dev.kiln.engine.export;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import java.util.List;

/**
 * The images of a multi-platform result and the index that lists them, each manifest with its platform: an OCI image
 * index, or a Docker manifest list when the images have Docker's media types. Every blob is in the engine's content
 * store.
 *
 * @param indexDescriptor the index's media type, digest and size
 */
record AssembledIndex(List<AssembledImage> images, ImageIndex index, Descriptor indexDescriptor)
        implements ExportedImage {

    AssembledIndex {
        images = List.copyOf(images);
    }

    @Override
    public Descriptor descriptor() {
        return indexDescriptor;
    }
}
