package dev.kiln.oci.layer;

import dev.kiln.core.Digest;
import java.util.List;

/**
 * What applying a layer blob found: the diffID (sha256 of the uncompressed tar, what an image config's rootfs lists),
 * the digest and size of the blob as read (what a manifest lists), the compression seen, and what had to be left
 * out (device files without the privilege to make them, attributes the filesystem refused) with one warning each.
 */
public record AppliedLayer(
        Digest diffId,
        Digest digest,
        long size,
        LayerCompression compression,
        int skippedDevices,
        List<String> warnings) {

    public AppliedLayer {
        warnings = List.copyOf(warnings);
    }
}
