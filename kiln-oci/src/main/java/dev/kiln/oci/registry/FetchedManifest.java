package dev.kiln.oci.registry;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.ManifestDocument;

/**
 * A manifest or index as the registry sent it, verified against its digest.
 *
 * @param descriptor its media type, digest and size
 * @param bytes the exact bytes (the digest is over these, so they are what gets stored or pushed again; not to be
 *     modified)
 * @param document the parsed document
 */
public record FetchedManifest(Descriptor descriptor, byte[] bytes, ManifestDocument document) {

    public boolean isIndex() {
        return document instanceof ImageIndex;
    }

    /** The image manifest; fails for an index. */
    public ImageManifest manifest() {
        return switch (document) {
            case ImageManifest manifest -> manifest;
            case ImageIndex index ->
                throw new IllegalStateException(descriptor.digest() + " is an index, not an image manifest");
        };
    }
}
