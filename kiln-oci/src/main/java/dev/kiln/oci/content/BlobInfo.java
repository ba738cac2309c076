package dev.kiln.oci.content;

import dev.kiln.llb.Digest;

/** What the content store knows about a stored blob. */
public record BlobInfo(Digest digest, long size) {}
