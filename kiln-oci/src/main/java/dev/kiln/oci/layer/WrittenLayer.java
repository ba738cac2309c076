package dev.kiln.oci.layer;

import dev.kiln.core.Digest;

/**
 * A layer blob as written: its diffID (sha256 of the uncompressed tar, for the image config's rootfs) and its
 * digest and size (for the manifest's descriptor).
 */
public record WrittenLayer(Digest diffId, Digest digest, long size, LayerCompression compression) {

    /** The OCI media type a manifest lists this blob under. */
    public String mediaType() {
        return compression.ociMediaType();
    }
}
