package dev.kiln.engine.export;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.layer.LayerCompression;
import dev.kiln.worker.image.LayerBlob;
import java.time.Instant;

/**
 * One non-empty layer of an exported image: the snapshot layer it is, the blob it is stored as, and when the layer
 * was made (for a history entry the image config lacks).
 *
 * @param variant the form the blob was recorded under in the image store, or empty for the blob the layer was
 *                pulled as
 */
public record ImageLayer(String layerId, LayerBlob blob, String variant, Instant created) {

    /** The descriptor a manifest lists: the blob's digest and size under OCI's or Docker's media type. */
    public Descriptor descriptor(boolean ociMediaTypes) {
        String pulledType = blob.descriptor().mediaType();
        LayerCompression compression = LayerCompression.ofMediaType(pulledType);
        return Descriptor.of(
                ociMediaTypes ? compression.ociMediaType() : compression.dockerMediaType(),
                blob.descriptor().digest(),
                blob.descriptor().size());
    }

    boolean pulled() {
        return variant.isEmpty();
    }
}
