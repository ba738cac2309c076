package dev.kiln.engine.export;

import dev.kiln.engine.attest.AttestationManifest;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import java.util.List;

/**
 * The images of a multi-platform result (or of an attested one) and the index that lists them, each manifest with its
 * platform, then the images' attestation manifests: an OCI image index, or a Docker manifest list when the images
 * have Docker's media types. Every blob is in the engine's content store.
 *
 * @param attestations the attestation manifests the index lists after the images
 * @param indexDescriptor the index's media type, digest and size
 */
record AssembledIndex(
        List<AssembledImage> images,
        List<AttestationManifest> attestations,
        ImageIndex index,
        Descriptor indexDescriptor)
        implements ExportedImage {

    AssembledIndex {
        images = List.copyOf(images);
        attestations = List.copyOf(attestations);
    }

    @Override
    public Descriptor descriptor() {
        return indexDescriptor;
    }
}
