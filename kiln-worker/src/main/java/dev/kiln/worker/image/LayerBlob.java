package dev.kiln.worker.image;

import dev.kiln.core.Digest;
import dev.kiln.oci.Descriptor;

/**
 * What a snapshot layer is as an image layer: its blob (compressed, in the content store), its
 * diff ID (the digest of the uncompressed tar), and the repository it was pulled from, if any, so
 * that a push to the same registry can mount the blob instead of uploading it.
 *
 * @param sourceRepository "registry/repository" the blob came from; empty when Kiln made it
 */
public record LayerBlob(Descriptor descriptor, Digest diffId, String sourceRepository) {

    public LayerBlob {
        sourceRepository = sourceRepository == null ? "" : sourceRepository;
    }
}
