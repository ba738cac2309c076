package dev.kiln.oci.layer;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How a layer tar is written: its compression, the time later mtimes are clamped to (SOURCE_DATE_EPOCH) so the
 * same files give the same blob whenever they are written, and the gzip blocks of earlier writes it may reuse
 * (which never change the bytes written, only the time taken).
 */
public record LayerWriteOptions(LayerCompression compression, Optional<Instant> clamp, DeflateBlocks blocks) {

    public LayerWriteOptions {
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(clamp, "clamp");
        Objects.requireNonNull(blocks, "blocks");
    }

    /** gzip, mtimes as they are, every block deflated: what an image layer is by default. */
    public static LayerWriteOptions defaults() {
        return new LayerWriteOptions(LayerCompression.GZIP, Optional.empty(), DeflateBlocks.NONE);
    }

    public LayerWriteOptions withCompression(LayerCompression newCompression) {
        return new LayerWriteOptions(newCompression, clamp, blocks);
    }

    public LayerWriteOptions withClamp(Instant sourceDateEpoch) {
        return new LayerWriteOptions(compression, Optional.of(sourceDateEpoch), blocks);
    }

    public LayerWriteOptions withBlocks(DeflateBlocks reusable) {
        return new LayerWriteOptions(compression, clamp, reusable);
    }
}
