package dev.kiln.oci.content;

import dev.kiln.core.Digest;

/** What the content store knows about a stored blob. */
public record BlobInfo(Digest digest, long size) {}
